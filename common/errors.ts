// One error type for every operating error in Cairn: it carries a POSIX code, which is mapped
// in one table to a gRPC status (on the wire) and to an errno (on the mount). Programmer errors
// are assertions (plain Error) and are never mapped to a POSIX code.

import { status as GrpcStatus } from '@grpc/grpc-js';

export const errnoCodes = {
  EPERM: { errno: 1, grpc: GrpcStatus.PERMISSION_DENIED, text: 'operation not permitted' },
  ENOENT: { errno: 2, grpc: GrpcStatus.NOT_FOUND, text: 'no such file or directory' },
  EIO: { errno: 5, grpc: GrpcStatus.DATA_LOSS, text: 'input/output error' },
  E2BIG: { errno: 7, grpc: GrpcStatus.OUT_OF_RANGE, text: 'argument list too long (extended attribute value too large)' },
  EBADF: { errno: 9, grpc: GrpcStatus.FAILED_PRECONDITION, text: 'bad file descriptor' },
  EAGAIN: { errno: 11, grpc: GrpcStatus.UNAVAILABLE, text: 'resource temporarily unavailable' },
  EACCES: { errno: 13, grpc: GrpcStatus.PERMISSION_DENIED, text: 'permission denied' },
  EBUSY: { errno: 16, grpc: GrpcStatus.FAILED_PRECONDITION, text: 'resource busy (another writer holds the lease)' },
  EEXIST: { errno: 17, grpc: GrpcStatus.ALREADY_EXISTS, text: 'file exists' },
  EXDEV: { errno: 18, grpc: GrpcStatus.FAILED_PRECONDITION, text: 'cross-device link' },
  ENOTDIR: { errno: 20, grpc: GrpcStatus.FAILED_PRECONDITION, text: 'not a directory' },
  EISDIR: { errno: 21, grpc: GrpcStatus.FAILED_PRECONDITION, text: 'is a directory' },
  EINVAL: { errno: 22, grpc: GrpcStatus.INVALID_ARGUMENT, text: 'invalid argument' },
  EFBIG: { errno: 27, grpc: GrpcStatus.OUT_OF_RANGE, text: 'file too large' },
  ENOSPC: { errno: 28, grpc: GrpcStatus.RESOURCE_EXHAUSTED, text: 'no space left on device' },
  EROFS: { errno: 30, grpc: GrpcStatus.FAILED_PRECONDITION, text: 'read-only file system (safe mode)' },
  EMLINK: { errno: 31, grpc: GrpcStatus.FAILED_PRECONDITION, text: 'too many links' },
  ERANGE: { errno: 34, grpc: GrpcStatus.OUT_OF_RANGE, text: 'result too large for the buffer' },
  ENAMETOOLONG: { errno: 36, grpc: GrpcStatus.INVALID_ARGUMENT, text: 'file name too long' },
  ENOTEMPTY: { errno: 39, grpc: GrpcStatus.FAILED_PRECONDITION, text: 'directory not empty' },
  ELOOP: { errno: 40, grpc: GrpcStatus.FAILED_PRECONDITION, text: 'too many levels of symbolic links' },
  ENODATA: { errno: 61, grpc: GrpcStatus.NOT_FOUND, text: 'no such extended attribute' },
  ENOTSUP: { errno: 95, grpc: GrpcStatus.UNIMPLEMENTED, text: 'operation not supported' },
  ESTALE: { errno: 116, grpc: GrpcStatus.FAILED_PRECONDITION, text: 'the name now leads to another inode' },
  ETIMEDOUT: { errno: 110, grpc: GrpcStatus.DEADLINE_EXCEEDED, text: 'timed out' },
  ECONNREFUSED: { errno: 111, grpc: GrpcStatus.UNAVAILABLE, text: 'connection refused' },
  EAUTH: { errno: 13, grpc: GrpcStatus.UNAUTHENTICATED, text: 'bad cluster credentials or chunk token' },
} as const;

export type ErrorCode = keyof typeof errnoCodes;

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(errnoCodes, code);
}

/** Codes that mean something went wrong (worth a stack trace), rather than an answer. */
const failureCodes = new Set<ErrorCode>(['EIO', 'ETIMEDOUT', 'ECONNREFUSED', 'EAUTH', 'ENOSPC', 'EROFS']);

/** An operating error with a POSIX code, shaped like the errors of node:fs (`err.code`). */
export class CairnError extends Error {
  readonly code: ErrorCode;
  readonly errno: number;
  readonly path: string | undefined;
  readonly syscall: string | undefined;

  constructor(code: ErrorCode, detail?: string, opts: { path?: string; syscall?: string } = {}) {
    const text = errnoCodes[code].text;
    const where = opts.path !== undefined ? ` '${opts.path}'` : '';
    // An answer (ENOENT to a lookup, EEXIST to an exclusive create) is no fault to trace, and
    // capturing a stack was ~2.5% of the namenode's CPU in a create storm: only failures get one.
    const stackLimit = Error.stackTraceLimit;
    if (!failureCodes.has(code)) Error.stackTraceLimit = 0;
    super(`${code}: ${detail ?? text}${where}`);
    Error.stackTraceLimit = stackLimit;
    this.name = 'CairnError';
    this.code = code;
    this.errno = errnoCodes[code].errno;
    this.path = opts.path;
    this.syscall = opts.syscall;
  }

  /** The message without its code in front and its path at the end. */
  get detail(): string {
    return this.message.replace(/^[A-Z]+: /, '').replace(/ '[^']*'$/, '');
  }

  /** The same error naming a path (the SDK adds the path the caller used). */
  withPath(path: string, syscall?: string): CairnError {
    return new CairnError(this.code, this.detail, { path, syscall: syscall ?? this.syscall });
  }
}

export function fail(code: ErrorCode, detail?: string, path?: string): never {
  throw new CairnError(code, detail, path !== undefined ? { path } : {});
}
