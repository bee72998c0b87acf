// gRPC plumbing shared by every process: loading proto/cairn.proto (with the same options the
// type generator uses), wrapping server handlers (credential check, error mapping), and calling
// unary methods as promises with a deadline.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { CairnError, errnoCodes, isErrorCode, type ErrorCode } from './errors.js';
import { secretsEqual } from './auth.js';
import { limits } from './limits.js';
import type { ProtoGrpcType } from '../proto/gen/cairn.js';
import type { Logger } from './log.js';

/** Must match the flags of `npm run gen` (proto-loader-gen-types) so the static types are true. */
export const protoLoaderOptions: protoLoader.Options = {
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

function findProto(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'proto', 'cairn.proto');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error('proto/cairn.proto not found above ' + fileURLToPath(import.meta.url));
}

let loaded: ProtoGrpcType | undefined;
export function cairnProto(): ProtoGrpcType {
  loaded ??= grpc.loadPackageDefinition(protoLoader.loadSync(findProto(), protoLoaderOptions)) as unknown as ProtoGrpcType;
  return loaded;
}

export const channelOptions: grpc.ChannelOptions = {
  // A restarted server is found again within ~2 s (grpc-js's defaults back off to 120 s between
  // tries, which left a mount unable to reach a namenode back from a restart for half a minute).
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 2000,
  'grpc.max_receive_message_length': limits.rpcMessageBytesMax,
  'grpc.max_send_message_length': limits.rpcMessageBytesMax,
  'grpc.keepalive_time_ms': 20_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.http2.write_buffer_size': 1024 * 1024,
  'grpc-node.flow_control_window': 8 * 1024 * 1024,
};

// ---------------------------------------------------------------------------------------------
// Server side

/** Who is calling, from the call's metadata. */
export interface Caller {
  uid: number;
  gid: number;
  /** Supplementary groups (the group permission bits apply for any of them; absent: none). */
  groups?: readonly number[];
  clientId: string;
}

/** Supplementary groups a caller may claim, at most (more are dropped). */
export const groupsMax = 256;

/** Group ids from a wire value (an array, or a comma-separated string): valid ones, at most groupsMax. */
export function groupsFrom(value: unknown): number[] {
  const items = Array.isArray(value) ? value : typeof value === 'string' && value !== '' ? value.split(',').map(Number) : [];
  return items.filter((g): g is number => typeof g === 'number' && Number.isInteger(g) && g >= 0 && g <= 0xffffffff).slice(0, groupsMax);
}

export const metadataKeys = {
  secret: 'x-cairn-secret',
  uid: 'x-cairn-uid',
  gid: 'x-cairn-gid',
  groups: 'x-cairn-groups',
  client: 'x-cairn-client',
  errno: 'x-cairn-errno',
} as const;

function callerOf(metadata: grpc.Metadata): Caller {
  const num = (key: string): number => {
    const value = Number(metadata.get(key)[0] ?? 0);
    return Number.isInteger(value) && value >= 0 && value <= 0xffffffff ? value : 0;
  };
  return {
    uid: num(metadataKeys.uid),
    gid: num(metadataKeys.gid),
    groups: groupsFrom(metadata.get(metadataKeys.groups)[0]),
    clientId: String(metadata.get(metadataKeys.client)[0] ?? ''),
  };
}

export function checkSecret(metadata: grpc.Metadata, secret: string): void {
  const got = metadata.get(metadataKeys.secret)[0];
  if (typeof got !== 'string' || !secretsEqual(got, secret)) {
    throw new CairnError('EAUTH', 'missing or wrong cluster secret');
  }
}

export function toServiceError(err: unknown, log: Logger): Partial<grpc.StatusObject> {
  const cairn = err instanceof CairnError ? err : undefined;
  if (cairn === undefined) log.error({ err }, 'internal error in rpc handler');
  const code: ErrorCode = cairn?.code ?? 'EIO';
  const metadata = new grpc.Metadata();
  metadata.set(metadataKeys.errno, code);
  const message = cairn?.message ?? `EIO: internal error: ${(err as Error)?.message ?? String(err)}`;
  return { code: errnoCodes[code].grpc, details: message, metadata };
}

/** Wraps a unary handler: checks the secret, passes the caller, maps errors to gRPC statuses. */
export function unaryHandler<Req, Res>(
  secret: string,
  log: Logger,
  handler: (req: Req, caller: Caller) => Promise<Res>,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    (async () => {
      checkSecret(call.metadata, secret);
      return handler(call.request, callerOf(call.metadata));
    })().then(
      (res) => callback(null, res),
      (err: unknown) => callback(toServiceError(err, log)),
    );
  };
}

// ---------------------------------------------------------------------------------------------
// Client side

export interface Identity {
  secret: string;
  uid: number;
  gid: number;
  /** Supplementary groups. */
  groups?: readonly number[];
  clientId: string;
}

export function callMetadata(identity: Identity): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set(metadataKeys.secret, identity.secret);
  metadata.set(metadataKeys.uid, String(identity.uid));
  metadata.set(metadataKeys.gid, String(identity.gid));
  if (identity.groups !== undefined && identity.groups.length > 0) metadata.set(metadataKeys.groups, identity.groups.join(','));
  metadata.set(metadataKeys.client, identity.clientId);
  return metadata;
}

/** Turns a gRPC error into a CairnError with the POSIX code the server meant. */
export function fromServiceError(err: grpc.ServiceError, target: string): CairnError {
  const trailer = err.metadata?.get(metadataKeys.errno)[0];
  if (isErrorCode(trailer)) {
    const detail = err.details.replace(/^[A-Z]+: /, '');
    const pathMatch = / '([^']*)'$/.exec(detail);
    return pathMatch
      ? new CairnError(trailer, detail.slice(0, pathMatch.index), { path: pathMatch[1] ?? '' })
      : new CairnError(trailer, detail);
  }
  switch (err.code) {
    case grpc.status.DEADLINE_EXCEEDED:
      return new CairnError('ETIMEDOUT', `no answer from ${target} in time`);
    case grpc.status.UNAVAILABLE:
      // grpc-js appends an empty "Resolution note:" to a refused connect's details.
      return new CairnError('ECONNREFUSED', `cannot reach ${target}: ${err.details.replace(/\.?\s*Resolution note:\s*$/, '')}`);
    case grpc.status.UNAUTHENTICATED:
      return new CairnError('EAUTH', err.details);
    case grpc.status.RESOURCE_EXHAUSTED:
      return new CairnError('EIO', `${target}: ${err.details}`);
    default:
      return new CairnError('EIO', `${target}: ${err.details || grpc.status[err.code]}`);
  }
}

type UnaryMethod<Req, Res> = (
  req: Req,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, res?: Res) => void,
) => grpc.ClientUnaryCall;

/** Calls a unary method as a promise, with credentials and a deadline. */
export function callUnary<Req, Res>(
  client: grpc.Client,
  method: UnaryMethod<Req, Res>,
  req: Req,
  identity: Identity,
  deadlineMs: number,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    method.call(client, req, callMetadata(identity), { deadline: Date.now() + deadlineMs }, (err, res) => {
      if (err) reject(fromServiceError(err, client.getChannel().getTarget().replace(/^dns:/, '')));
      else resolve(res as Res);
    });
  });
}

export function validateHostPort(value: string, what: string): string {
  const match = /^([A-Za-z0-9.\-_]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535) throw new CairnError('EINVAL', `${what} must be HOST:PORT, got '${value}'`);
  return value;
}
