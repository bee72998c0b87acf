// Path validation at the boundary. A path is absolute, UTF-8, at most pathBytesMax bytes, with
// components of 1..nameBytesMax bytes, no NUL, and no "." or ".." components (the namespace
// never interprets them; a client normalises relative paths before sending).

import { CairnError } from './errors.js';
import { limits } from './limits.js';

export function validateName(name: string, path: string): void {
  if (name.length === 0) throw new CairnError('EINVAL', 'empty path component', { path });
  if (name.includes('\0')) throw new CairnError('EINVAL', 'NUL byte in path', { path });
  if (name === '.' || name === '..') throw new CairnError('EINVAL', `'${name}' component in path`, { path });
  if (Buffer.byteLength(name) > limits.nameBytesMax) {
    throw new CairnError('ENAMETOOLONG', `name longer than ${limits.nameBytesMax} bytes`, { path: shorten(path) });
  }
}

/** Splits an absolute path into validated components ("/" gives []). Trailing slashes are ignored. */
export function splitPath(path: string): string[] {
  if (typeof path !== 'string' || path.length === 0) throw new CairnError('EINVAL', 'empty path');
  if (path.includes('\0')) throw new CairnError('EINVAL', 'NUL byte in path', { path: path.replace(/\0/g, '\\0') });
  if (Buffer.byteLength(path) > limits.pathBytesMax) {
    throw new CairnError('ENAMETOOLONG', `path longer than ${limits.pathBytesMax} bytes`, { path: shorten(path) });
  }
  if (!path.startsWith('/')) throw new CairnError('EINVAL', 'path must be absolute', { path });
  // Repeated slashes ("/a//b", "/a/") are tolerated as POSIX does.
  const parts = path.split('/').filter((part) => part !== '');
  for (const part of parts) validateName(part, path);
  return parts;
}

/** Normalises a user-supplied path (relative to `cwd`, with . and ..) into an absolute one. */
export function normalizePath(path: string, cwd = '/'): string {
  if (typeof path !== 'string' || path.length === 0) throw new CairnError('EINVAL', 'empty path');
  if (path.includes('\0')) throw new CairnError('EINVAL', 'NUL byte in path', { path: path.replace(/\0/g, '\\0') });
  const full = path.startsWith('/') ? path : `${cwd.replace(/\/+$/, '')}/${path}`;
  const out: string[] = [];
  for (const part of full.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

export function parentAndName(path: string): { parent: string[]; name: string } {
  const parts = splitPath(path);
  const name = parts.pop();
  if (name === undefined) throw new CairnError('EINVAL', 'the root has no parent', { path });
  return { parent: parts, name };
}

function shorten(path: string): string {
  return path.length > 80 ? `${path.slice(0, 60)}…(${Buffer.byteLength(path)} bytes)` : path;
}
