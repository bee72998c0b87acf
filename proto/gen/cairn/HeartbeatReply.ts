// Original file: proto/cairn.proto

import type { DatanodeCommand as _cairn_DatanodeCommand, DatanodeCommand__Output as _cairn_DatanodeCommand__Output } from '../cairn/DatanodeCommand.js';

export interface HeartbeatReply {
  'reregister'?: (boolean);
  'commands'?: (_cairn_DatanodeCommand)[];
}

export interface HeartbeatReply__Output {
  'reregister': (boolean);
  'commands': (_cairn_DatanodeCommand__Output)[];
}
