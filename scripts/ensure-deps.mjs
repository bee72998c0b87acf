// Installs what `npm test`, `npm start` and `npm run bench` need on a fresh clone:
// - the Debian packages of the FUSE mount and its tests (libfuse2 and fuse3 for the fuse
//   library and fusermount, sqlite3 and git for the tests on the mount), when running as root
//   on a machine with apt-get; otherwise it only says what is missing;
// - the npm packages, when they are missing or older than the lockfile.
import { execSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const debianPackages = ['libfuse2', 'fuse3', 'sqlite3', 'git'];

function installed(pkg) {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return result.status === 0 && result.stdout.includes('install ok installed');
}

function hasCommand(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

if (hasCommand('dpkg-query')) {
  const missing = debianPackages.filter((pkg) => !installed(pkg));
  if (missing.length > 0) {
    if (process.getuid?.() === 0 && hasCommand('apt-get')) {
      process.stderr.write(`installing Debian packages: ${missing.join(' ')}...\n`);
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      execSync('apt-get update -qq', { stdio: ['ignore', 'ignore', 'inherit'], env });
      execSync(`apt-get install -y -qq --no-install-recommends ${missing.join(' ')}`, { stdio: ['ignore', 'ignore', 'inherit'], env });
    } else {
      process.stderr.write(`missing Debian packages (the FUSE mount and its tests need them): ${missing.join(' ')}\n`);
    }
  }
}

const marker = 'node_modules/.package-lock.json';
const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync('package-lock.json').mtimeMs;
if (stale) {
  process.stderr.write('installing npm packages (npm ci)...\n');
  execSync('npm ci --no-audit --no-fund', { stdio: 'inherit' });
}
