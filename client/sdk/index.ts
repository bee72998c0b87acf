export { CairnClient, type CairnClientOptions, type ChangeOptions, type Changed, type Granted, type GrantOptions, type ChunkLocation } from './client.js';
export { FileHandle } from './file-handle.js';
export { Stats, Dirent } from './stats.js';
export { CairnError, type ErrorCode } from '../../common/errors.js';
