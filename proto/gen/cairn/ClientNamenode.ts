// Original file: proto/cairn.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AllocateChunksReply as _cairn_AllocateChunksReply, AllocateChunksReply__Output as _cairn_AllocateChunksReply__Output } from '../cairn/AllocateChunksReply.js';
import type { AllocateChunksRequest as _cairn_AllocateChunksRequest, AllocateChunksRequest__Output as _cairn_AllocateChunksRequest__Output } from '../cairn/AllocateChunksRequest.js';
import type { AttrReply as _cairn_AttrReply, AttrReply__Output as _cairn_AttrReply__Output } from '../cairn/AttrReply.js';
import type { ChangeReply as _cairn_ChangeReply, ChangeReply__Output as _cairn_ChangeReply__Output } from '../cairn/ChangeReply.js';
import type { CommitChunkReply as _cairn_CommitChunkReply, CommitChunkReply__Output as _cairn_CommitChunkReply__Output } from '../cairn/CommitChunkReply.js';
import type { CommitChunkRequest as _cairn_CommitChunkRequest, CommitChunkRequest__Output as _cairn_CommitChunkRequest__Output } from '../cairn/CommitChunkRequest.js';
import type { DecommissionRequest as _cairn_DecommissionRequest, DecommissionRequest__Output as _cairn_DecommissionRequest__Output } from '../cairn/DecommissionRequest.js';
import type { Empty as _cairn_Empty, Empty__Output as _cairn_Empty__Output } from '../cairn/Empty.js';
import type { FsckReply as _cairn_FsckReply, FsckReply__Output as _cairn_FsckReply__Output } from '../cairn/FsckReply.js';
import type { GetChunksReply as _cairn_GetChunksReply, GetChunksReply__Output as _cairn_GetChunksReply__Output } from '../cairn/GetChunksReply.js';
import type { GetChunksRequest as _cairn_GetChunksRequest, GetChunksRequest__Output as _cairn_GetChunksRequest__Output } from '../cairn/GetChunksRequest.js';
import type { HandshakeReply as _cairn_HandshakeReply, HandshakeReply__Output as _cairn_HandshakeReply__Output } from '../cairn/HandshakeReply.js';
import type { InodeRequest as _cairn_InodeRequest, InodeRequest__Output as _cairn_InodeRequest__Output } from '../cairn/InodeRequest.js';
import type { LinkRequest as _cairn_LinkRequest, LinkRequest__Output as _cairn_LinkRequest__Output } from '../cairn/LinkRequest.js';
import type { MkdirRequest as _cairn_MkdirRequest, MkdirRequest__Output as _cairn_MkdirRequest__Output } from '../cairn/MkdirRequest.js';
import type { OpenReply as _cairn_OpenReply, OpenReply__Output as _cairn_OpenReply__Output } from '../cairn/OpenReply.js';
import type { OpenRequest as _cairn_OpenRequest, OpenRequest__Output as _cairn_OpenRequest__Output } from '../cairn/OpenRequest.js';
import type { PathRequest as _cairn_PathRequest, PathRequest__Output as _cairn_PathRequest__Output } from '../cairn/PathRequest.js';
import type { PrepareChunkReply as _cairn_PrepareChunkReply, PrepareChunkReply__Output as _cairn_PrepareChunkReply__Output } from '../cairn/PrepareChunkReply.js';
import type { PrepareChunkRequest as _cairn_PrepareChunkRequest, PrepareChunkRequest__Output as _cairn_PrepareChunkRequest__Output } from '../cairn/PrepareChunkRequest.js';
import type { ReaddirReply as _cairn_ReaddirReply, ReaddirReply__Output as _cairn_ReaddirReply__Output } from '../cairn/ReaddirReply.js';
import type { ReaddirRequest as _cairn_ReaddirRequest, ReaddirRequest__Output as _cairn_ReaddirRequest__Output } from '../cairn/ReaddirRequest.js';
import type { ReadlinkReply as _cairn_ReadlinkReply, ReadlinkReply__Output as _cairn_ReadlinkReply__Output } from '../cairn/ReadlinkReply.js';
import type { RenameRequest as _cairn_RenameRequest, RenameRequest__Output as _cairn_RenameRequest__Output } from '../cairn/RenameRequest.js';
import type { ReportReply as _cairn_ReportReply, ReportReply__Output as _cairn_ReportReply__Output } from '../cairn/ReportReply.js';
import type { SetAttrRequest as _cairn_SetAttrRequest, SetAttrRequest__Output as _cairn_SetAttrRequest__Output } from '../cairn/SetAttrRequest.js';
import type { SetReplicationRequest as _cairn_SetReplicationRequest, SetReplicationRequest__Output as _cairn_SetReplicationRequest__Output } from '../cairn/SetReplicationRequest.js';
import type { SetXattrRequest as _cairn_SetXattrRequest, SetXattrRequest__Output as _cairn_SetXattrRequest__Output } from '../cairn/SetXattrRequest.js';
import type { StatfsReply as _cairn_StatfsReply, StatfsReply__Output as _cairn_StatfsReply__Output } from '../cairn/StatfsReply.js';
import type { SymlinkRequest as _cairn_SymlinkRequest, SymlinkRequest__Output as _cairn_SymlinkRequest__Output } from '../cairn/SymlinkRequest.js';
import type { TruncateRequest as _cairn_TruncateRequest, TruncateRequest__Output as _cairn_TruncateRequest__Output } from '../cairn/TruncateRequest.js';
import type { XattrReply as _cairn_XattrReply, XattrReply__Output as _cairn_XattrReply__Output } from '../cairn/XattrReply.js';
import type { XattrRequest as _cairn_XattrRequest, XattrRequest__Output as _cairn_XattrRequest__Output } from '../cairn/XattrRequest.js';

export interface ClientNamenodeClient extends grpc.Client {
  AllocateChunks(argument: _cairn_AllocateChunksRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_AllocateChunksReply__Output>): grpc.ClientUnaryCall;
  AllocateChunks(argument: _cairn_AllocateChunksRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_AllocateChunksReply__Output>): grpc.ClientUnaryCall;
  AllocateChunks(argument: _cairn_AllocateChunksRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_AllocateChunksReply__Output>): grpc.ClientUnaryCall;
  AllocateChunks(argument: _cairn_AllocateChunksRequest, callback: grpc.requestCallback<_cairn_AllocateChunksReply__Output>): grpc.ClientUnaryCall;
  allocateChunks(argument: _cairn_AllocateChunksRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_AllocateChunksReply__Output>): grpc.ClientUnaryCall;
  allocateChunks(argument: _cairn_AllocateChunksRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_AllocateChunksReply__Output>): grpc.ClientUnaryCall;
  allocateChunks(argument: _cairn_AllocateChunksRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_AllocateChunksReply__Output>): grpc.ClientUnaryCall;
  allocateChunks(argument: _cairn_AllocateChunksRequest, callback: grpc.requestCallback<_cairn_AllocateChunksReply__Output>): grpc.ClientUnaryCall;
  
  CloseFile(argument: _cairn_InodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  CloseFile(argument: _cairn_InodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  CloseFile(argument: _cairn_InodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  CloseFile(argument: _cairn_InodeRequest, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  closeFile(argument: _cairn_InodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  closeFile(argument: _cairn_InodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  closeFile(argument: _cairn_InodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  closeFile(argument: _cairn_InodeRequest, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  
  CommitChunk(argument: _cairn_CommitChunkRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_CommitChunkReply__Output>): grpc.ClientUnaryCall;
  CommitChunk(argument: _cairn_CommitChunkRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_CommitChunkReply__Output>): grpc.ClientUnaryCall;
  CommitChunk(argument: _cairn_CommitChunkRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_CommitChunkReply__Output>): grpc.ClientUnaryCall;
  CommitChunk(argument: _cairn_CommitChunkRequest, callback: grpc.requestCallback<_cairn_CommitChunkReply__Output>): grpc.ClientUnaryCall;
  commitChunk(argument: _cairn_CommitChunkRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_CommitChunkReply__Output>): grpc.ClientUnaryCall;
  commitChunk(argument: _cairn_CommitChunkRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_CommitChunkReply__Output>): grpc.ClientUnaryCall;
  commitChunk(argument: _cairn_CommitChunkRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_CommitChunkReply__Output>): grpc.ClientUnaryCall;
  commitChunk(argument: _cairn_CommitChunkRequest, callback: grpc.requestCallback<_cairn_CommitChunkReply__Output>): grpc.ClientUnaryCall;
  
  Decommission(argument: _cairn_DecommissionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  Decommission(argument: _cairn_DecommissionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  Decommission(argument: _cairn_DecommissionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  Decommission(argument: _cairn_DecommissionRequest, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  decommission(argument: _cairn_DecommissionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  decommission(argument: _cairn_DecommissionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  decommission(argument: _cairn_DecommissionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  decommission(argument: _cairn_DecommissionRequest, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  
  Fsck(argument: _cairn_PathRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_FsckReply__Output>): grpc.ClientUnaryCall;
  Fsck(argument: _cairn_PathRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_FsckReply__Output>): grpc.ClientUnaryCall;
  Fsck(argument: _cairn_PathRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_FsckReply__Output>): grpc.ClientUnaryCall;
  Fsck(argument: _cairn_PathRequest, callback: grpc.requestCallback<_cairn_FsckReply__Output>): grpc.ClientUnaryCall;
  fsck(argument: _cairn_PathRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_FsckReply__Output>): grpc.ClientUnaryCall;
  fsck(argument: _cairn_PathRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_FsckReply__Output>): grpc.ClientUnaryCall;
  fsck(argument: _cairn_PathRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_FsckReply__Output>): grpc.ClientUnaryCall;
  fsck(argument: _cairn_PathRequest, callback: grpc.requestCallback<_cairn_FsckReply__Output>): grpc.ClientUnaryCall;
  
  GetChunks(argument: _cairn_GetChunksRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_GetChunksReply__Output>): grpc.ClientUnaryCall;
  GetChunks(argument: _cairn_GetChunksRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_GetChunksReply__Output>): grpc.ClientUnaryCall;
  GetChunks(argument: _cairn_GetChunksRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_GetChunksReply__Output>): grpc.ClientUnaryCall;
  GetChunks(argument: _cairn_GetChunksRequest, callback: grpc.requestCallback<_cairn_GetChunksReply__Output>): grpc.ClientUnaryCall;
  getChunks(argument: _cairn_GetChunksRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_GetChunksReply__Output>): grpc.ClientUnaryCall;
  getChunks(argument: _cairn_GetChunksRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_GetChunksReply__Output>): grpc.ClientUnaryCall;
  getChunks(argument: _cairn_GetChunksRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_GetChunksReply__Output>): grpc.ClientUnaryCall;
  getChunks(argument: _cairn_GetChunksRequest, callback: grpc.requestCallback<_cairn_GetChunksReply__Output>): grpc.ClientUnaryCall;
  
  GetXattr(argument: _cairn_XattrRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_XattrReply__Output>): grpc.ClientUnaryCall;
  GetXattr(argument: _cairn_XattrRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_XattrReply__Output>): grpc.ClientUnaryCall;
  GetXattr(argument: _cairn_XattrRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_XattrReply__Output>): grpc.ClientUnaryCall;
  GetXattr(argument: _cairn_XattrRequest, callback: grpc.requestCallback<_cairn_XattrReply__Output>): grpc.ClientUnaryCall;
  getXattr(argument: _cairn_XattrRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_XattrReply__Output>): grpc.ClientUnaryCall;
  getXattr(argument: _cairn_XattrRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_XattrReply__Output>): grpc.ClientUnaryCall;
  getXattr(argument: _cairn_XattrRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_XattrReply__Output>): grpc.ClientUnaryCall;
  getXattr(argument: _cairn_XattrRequest, callback: grpc.requestCallback<_cairn_XattrReply__Output>): grpc.ClientUnaryCall;
  
  Handshake(argument: _cairn_Empty, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_HandshakeReply__Output>): grpc.ClientUnaryCall;
  Handshake(argument: _cairn_Empty, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_HandshakeReply__Output>): grpc.ClientUnaryCall;
  Handshake(argument: _cairn_Empty, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_HandshakeReply__Output>): grpc.ClientUnaryCall;
  Handshake(argument: _cairn_Empty, callback: grpc.requestCallback<_cairn_HandshakeReply__Output>): grpc.ClientUnaryCall;
  handshake(argument: _cairn_Empty, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_HandshakeReply__Output>): grpc.ClientUnaryCall;
  handshake(argument: _cairn_Empty, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_HandshakeReply__Output>): grpc.ClientUnaryCall;
  handshake(argument: _cairn_Empty, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_HandshakeReply__Output>): grpc.ClientUnaryCall;
  handshake(argument: _cairn_Empty, callback: grpc.requestCallback<_cairn_HandshakeReply__Output>): grpc.ClientUnaryCall;
  
  Link(argument: _cairn_LinkRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  Link(argument: _cairn_LinkRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  Link(argument: _cairn_LinkRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  Link(argument: _cairn_LinkRequest, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  link(argument: _cairn_LinkRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  link(argument: _cairn_LinkRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  link(argument: _cairn_LinkRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  link(argument: _cairn_LinkRequest, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  
  ListXattr(argument: _cairn_XattrRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_XattrReply__Output>): grpc.ClientUnaryCall;
  ListXattr(argument: _cairn_XattrRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_XattrReply__Output>): grpc.ClientUnaryCall;
  ListXattr(argument: _cairn_XattrRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_XattrReply__Output>): grpc.ClientUnaryCall;
  ListXattr(argument: _cairn_XattrRequest, callback: grpc.requestCallback<_cairn_XattrReply__Output>): grpc.ClientUnaryCall;
  listXattr(argument: _cairn_XattrRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_XattrReply__Output>): grpc.ClientUnaryCall;
  listXattr(argument: _cairn_XattrRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_XattrReply__Output>): grpc.ClientUnaryCall;
  listXattr(argument: _cairn_XattrRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_XattrReply__Output>): grpc.ClientUnaryCall;
  listXattr(argument: _cairn_XattrRequest, callback: grpc.requestCallback<_cairn_XattrReply__Output>): grpc.ClientUnaryCall;
  
  Mkdir(argument: _cairn_MkdirRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  Mkdir(argument: _cairn_MkdirRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  Mkdir(argument: _cairn_MkdirRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  Mkdir(argument: _cairn_MkdirRequest, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  mkdir(argument: _cairn_MkdirRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  mkdir(argument: _cairn_MkdirRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  mkdir(argument: _cairn_MkdirRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  mkdir(argument: _cairn_MkdirRequest, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  
  Open(argument: _cairn_OpenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_OpenReply__Output>): grpc.ClientUnaryCall;
  Open(argument: _cairn_OpenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_OpenReply__Output>): grpc.ClientUnaryCall;
  Open(argument: _cairn_OpenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_OpenReply__Output>): grpc.ClientUnaryCall;
  Open(argument: _cairn_OpenRequest, callback: grpc.requestCallback<_cairn_OpenReply__Output>): grpc.ClientUnaryCall;
  open(argument: _cairn_OpenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_OpenReply__Output>): grpc.ClientUnaryCall;
  open(argument: _cairn_OpenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_OpenReply__Output>): grpc.ClientUnaryCall;
  open(argument: _cairn_OpenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_OpenReply__Output>): grpc.ClientUnaryCall;
  open(argument: _cairn_OpenRequest, callback: grpc.requestCallback<_cairn_OpenReply__Output>): grpc.ClientUnaryCall;
  
  PrepareChunk(argument: _cairn_PrepareChunkRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_PrepareChunkReply__Output>): grpc.ClientUnaryCall;
  PrepareChunk(argument: _cairn_PrepareChunkRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_PrepareChunkReply__Output>): grpc.ClientUnaryCall;
  PrepareChunk(argument: _cairn_PrepareChunkRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_PrepareChunkReply__Output>): grpc.ClientUnaryCall;
  PrepareChunk(argument: _cairn_PrepareChunkRequest, callback: grpc.requestCallback<_cairn_PrepareChunkReply__Output>): grpc.ClientUnaryCall;
  prepareChunk(argument: _cairn_PrepareChunkRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_PrepareChunkReply__Output>): grpc.ClientUnaryCall;
  prepareChunk(argument: _cairn_PrepareChunkRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_PrepareChunkReply__Output>): grpc.ClientUnaryCall;
  prepareChunk(argument: _cairn_PrepareChunkRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_PrepareChunkReply__Output>): grpc.ClientUnaryCall;
  prepareChunk(argument: _cairn_PrepareChunkRequest, callback: grpc.requestCallback<_cairn_PrepareChunkReply__Output>): grpc.ClientUnaryCall;
  
  Readdir(argument: _cairn_ReaddirRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_ReaddirReply__Output>): grpc.ClientUnaryCall;
  Readdir(argument: _cairn_ReaddirRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_ReaddirReply__Output>): grpc.ClientUnaryCall;
  Readdir(argument: _cairn_ReaddirRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_ReaddirReply__Output>): grpc.ClientUnaryCall;
  Readdir(argument: _cairn_ReaddirRequest, callback: grpc.requestCallback<_cairn_ReaddirReply__Output>): grpc.ClientUnaryCall;
  readdir(argument: _cairn_ReaddirRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_ReaddirReply__Output>): grpc.ClientUnaryCall;
  readdir(argument: _cairn_ReaddirRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_ReaddirReply__Output>): grpc.ClientUnaryCall;
  readdir(argument: _cairn_ReaddirRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_ReaddirReply__Output>): grpc.ClientUnaryCall;
  readdir(argument: _cairn_ReaddirRequest, callback: grpc.requestCallback<_cairn_ReaddirReply__Output>): grpc.ClientUnaryCall;
  
  Readlink(argument: _cairn_PathRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_ReadlinkReply__Output>): grpc.ClientUnaryCall;
  Readlink(argument: _cairn_PathRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_ReadlinkReply__Output>): grpc.ClientUnaryCall;
  Readlink(argument: _cairn_PathRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_ReadlinkReply__Output>): grpc.ClientUnaryCall;
  Readlink(argument: _cairn_PathRequest, callback: grpc.requestCallback<_cairn_ReadlinkReply__Output>): grpc.ClientUnaryCall;
  readlink(argument: _cairn_PathRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_ReadlinkReply__Output>): grpc.ClientUnaryCall;
  readlink(argument: _cairn_PathRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_ReadlinkReply__Output>): grpc.ClientUnaryCall;
  readlink(argument: _cairn_PathRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_ReadlinkReply__Output>): grpc.ClientUnaryCall;
  readlink(argument: _cairn_PathRequest, callback: grpc.requestCallback<_cairn_ReadlinkReply__Output>): grpc.ClientUnaryCall;
  
  RemoveXattr(argument: _cairn_XattrRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  RemoveXattr(argument: _cairn_XattrRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  RemoveXattr(argument: _cairn_XattrRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  RemoveXattr(argument: _cairn_XattrRequest, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  removeXattr(argument: _cairn_XattrRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  removeXattr(argument: _cairn_XattrRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  removeXattr(argument: _cairn_XattrRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  removeXattr(argument: _cairn_XattrRequest, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  
  Rename(argument: _cairn_RenameRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_ChangeReply__Output>): grpc.ClientUnaryCall;
  Rename(argument: _cairn_RenameRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_ChangeReply__Output>): grpc.ClientUnaryCall;
  Rename(argument: _cairn_RenameRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_ChangeReply__Output>): grpc.ClientUnaryCall;
  Rename(argument: _cairn_RenameRequest, callback: grpc.requestCallback<_cairn_ChangeReply__Output>): grpc.ClientUnaryCall;
  rename(argument: _cairn_RenameRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_ChangeReply__Output>): grpc.ClientUnaryCall;
  rename(argument: _cairn_RenameRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_ChangeReply__Output>): grpc.ClientUnaryCall;
  rename(argument: _cairn_RenameRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_ChangeReply__Output>): grpc.ClientUnaryCall;
  rename(argument: _cairn_RenameRequest, callback: grpc.requestCallback<_cairn_ChangeReply__Output>): grpc.ClientUnaryCall;
  
  RenewLease(argument: _cairn_Empty, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  RenewLease(argument: _cairn_Empty, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  RenewLease(argument: _cairn_Empty, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  RenewLease(argument: _cairn_Empty, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  renewLease(argument: _cairn_Empty, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  renewLease(argument: _cairn_Empty, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  renewLease(argument: _cairn_Empty, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  renewLease(argument: _cairn_Empty, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  
  Report(argument: _cairn_Empty, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_ReportReply__Output>): grpc.ClientUnaryCall;
  Report(argument: _cairn_Empty, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_ReportReply__Output>): grpc.ClientUnaryCall;
  Report(argument: _cairn_Empty, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_ReportReply__Output>): grpc.ClientUnaryCall;
  Report(argument: _cairn_Empty, callback: grpc.requestCallback<_cairn_ReportReply__Output>): grpc.ClientUnaryCall;
  report(argument: _cairn_Empty, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_ReportReply__Output>): grpc.ClientUnaryCall;
  report(argument: _cairn_Empty, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_ReportReply__Output>): grpc.ClientUnaryCall;
  report(argument: _cairn_Empty, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_ReportReply__Output>): grpc.ClientUnaryCall;
  report(argument: _cairn_Empty, callback: grpc.requestCallback<_cairn_ReportReply__Output>): grpc.ClientUnaryCall;
  
  Rmdir(argument: _cairn_PathRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_ChangeReply__Output>): grpc.ClientUnaryCall;
  Rmdir(argument: _cairn_PathRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_ChangeReply__Output>): grpc.ClientUnaryCall;
  Rmdir(argument: _cairn_PathRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_ChangeReply__Output>): grpc.ClientUnaryCall;
  Rmdir(argument: _cairn_PathRequest, callback: grpc.requestCallback<_cairn_ChangeReply__Output>): grpc.ClientUnaryCall;
  rmdir(argument: _cairn_PathRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_ChangeReply__Output>): grpc.ClientUnaryCall;
  rmdir(argument: _cairn_PathRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_ChangeReply__Output>): grpc.ClientUnaryCall;
  rmdir(argument: _cairn_PathRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_ChangeReply__Output>): grpc.ClientUnaryCall;
  rmdir(argument: _cairn_PathRequest, callback: grpc.requestCallback<_cairn_ChangeReply__Output>): grpc.ClientUnaryCall;
  
  SetAttr(argument: _cairn_SetAttrRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  SetAttr(argument: _cairn_SetAttrRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  SetAttr(argument: _cairn_SetAttrRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  SetAttr(argument: _cairn_SetAttrRequest, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  setAttr(argument: _cairn_SetAttrRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  setAttr(argument: _cairn_SetAttrRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  setAttr(argument: _cairn_SetAttrRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  setAttr(argument: _cairn_SetAttrRequest, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  
  SetReplication(argument: _cairn_SetReplicationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  SetReplication(argument: _cairn_SetReplicationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  SetReplication(argument: _cairn_SetReplicationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  SetReplication(argument: _cairn_SetReplicationRequest, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  setReplication(argument: _cairn_SetReplicationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  setReplication(argument: _cairn_SetReplicationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  setReplication(argument: _cairn_SetReplicationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  setReplication(argument: _cairn_SetReplicationRequest, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  
  SetXattr(argument: _cairn_SetXattrRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  SetXattr(argument: _cairn_SetXattrRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  SetXattr(argument: _cairn_SetXattrRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  SetXattr(argument: _cairn_SetXattrRequest, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  setXattr(argument: _cairn_SetXattrRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  setXattr(argument: _cairn_SetXattrRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  setXattr(argument: _cairn_SetXattrRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  setXattr(argument: _cairn_SetXattrRequest, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  
  Stat(argument: _cairn_PathRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  Stat(argument: _cairn_PathRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  Stat(argument: _cairn_PathRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  Stat(argument: _cairn_PathRequest, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  stat(argument: _cairn_PathRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  stat(argument: _cairn_PathRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  stat(argument: _cairn_PathRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  stat(argument: _cairn_PathRequest, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  
  Statfs(argument: _cairn_Empty, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_StatfsReply__Output>): grpc.ClientUnaryCall;
  Statfs(argument: _cairn_Empty, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_StatfsReply__Output>): grpc.ClientUnaryCall;
  Statfs(argument: _cairn_Empty, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_StatfsReply__Output>): grpc.ClientUnaryCall;
  Statfs(argument: _cairn_Empty, callback: grpc.requestCallback<_cairn_StatfsReply__Output>): grpc.ClientUnaryCall;
  statfs(argument: _cairn_Empty, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_StatfsReply__Output>): grpc.ClientUnaryCall;
  statfs(argument: _cairn_Empty, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_StatfsReply__Output>): grpc.ClientUnaryCall;
  statfs(argument: _cairn_Empty, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_StatfsReply__Output>): grpc.ClientUnaryCall;
  statfs(argument: _cairn_Empty, callback: grpc.requestCallback<_cairn_StatfsReply__Output>): grpc.ClientUnaryCall;
  
  Symlink(argument: _cairn_SymlinkRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  Symlink(argument: _cairn_SymlinkRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  Symlink(argument: _cairn_SymlinkRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  Symlink(argument: _cairn_SymlinkRequest, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  symlink(argument: _cairn_SymlinkRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  symlink(argument: _cairn_SymlinkRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  symlink(argument: _cairn_SymlinkRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  symlink(argument: _cairn_SymlinkRequest, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  
  Sync(argument: _cairn_Empty, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  Sync(argument: _cairn_Empty, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  Sync(argument: _cairn_Empty, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  Sync(argument: _cairn_Empty, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  sync(argument: _cairn_Empty, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  sync(argument: _cairn_Empty, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  sync(argument: _cairn_Empty, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  sync(argument: _cairn_Empty, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  
  Truncate(argument: _cairn_TruncateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  Truncate(argument: _cairn_TruncateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  Truncate(argument: _cairn_TruncateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  Truncate(argument: _cairn_TruncateRequest, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  truncate(argument: _cairn_TruncateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  truncate(argument: _cairn_TruncateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  truncate(argument: _cairn_TruncateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  truncate(argument: _cairn_TruncateRequest, callback: grpc.requestCallback<_cairn_AttrReply__Output>): grpc.ClientUnaryCall;
  
  Unlink(argument: _cairn_PathRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_ChangeReply__Output>): grpc.ClientUnaryCall;
  Unlink(argument: _cairn_PathRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_ChangeReply__Output>): grpc.ClientUnaryCall;
  Unlink(argument: _cairn_PathRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_ChangeReply__Output>): grpc.ClientUnaryCall;
  Unlink(argument: _cairn_PathRequest, callback: grpc.requestCallback<_cairn_ChangeReply__Output>): grpc.ClientUnaryCall;
  unlink(argument: _cairn_PathRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_ChangeReply__Output>): grpc.ClientUnaryCall;
  unlink(argument: _cairn_PathRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_ChangeReply__Output>): grpc.ClientUnaryCall;
  unlink(argument: _cairn_PathRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_ChangeReply__Output>): grpc.ClientUnaryCall;
  unlink(argument: _cairn_PathRequest, callback: grpc.requestCallback<_cairn_ChangeReply__Output>): grpc.ClientUnaryCall;
  
}

export interface ClientNamenodeHandlers extends grpc.UntypedServiceImplementation {
  AllocateChunks: grpc.handleUnaryCall<_cairn_AllocateChunksRequest__Output, _cairn_AllocateChunksReply>;
  
  CloseFile: grpc.handleUnaryCall<_cairn_InodeRequest__Output, _cairn_Empty>;
  
  CommitChunk: grpc.handleUnaryCall<_cairn_CommitChunkRequest__Output, _cairn_CommitChunkReply>;
  
  Decommission: grpc.handleUnaryCall<_cairn_DecommissionRequest__Output, _cairn_Empty>;
  
  Fsck: grpc.handleUnaryCall<_cairn_PathRequest__Output, _cairn_FsckReply>;
  
  GetChunks: grpc.handleUnaryCall<_cairn_GetChunksRequest__Output, _cairn_GetChunksReply>;
  
  GetXattr: grpc.handleUnaryCall<_cairn_XattrRequest__Output, _cairn_XattrReply>;
  
  Handshake: grpc.handleUnaryCall<_cairn_Empty__Output, _cairn_HandshakeReply>;
  
  Link: grpc.handleUnaryCall<_cairn_LinkRequest__Output, _cairn_AttrReply>;
  
  ListXattr: grpc.handleUnaryCall<_cairn_XattrRequest__Output, _cairn_XattrReply>;
  
  Mkdir: grpc.handleUnaryCall<_cairn_MkdirRequest__Output, _cairn_AttrReply>;
  
  Open: grpc.handleUnaryCall<_cairn_OpenRequest__Output, _cairn_OpenReply>;
  
  PrepareChunk: grpc.handleUnaryCall<_cairn_PrepareChunkRequest__Output, _cairn_PrepareChunkReply>;
  
  Readdir: grpc.handleUnaryCall<_cairn_ReaddirRequest__Output, _cairn_ReaddirReply>;
  
  Readlink: grpc.handleUnaryCall<_cairn_PathRequest__Output, _cairn_ReadlinkReply>;
  
  RemoveXattr: grpc.handleUnaryCall<_cairn_XattrRequest__Output, _cairn_Empty>;
  
  Rename: grpc.handleUnaryCall<_cairn_RenameRequest__Output, _cairn_ChangeReply>;
  
  RenewLease: grpc.handleUnaryCall<_cairn_Empty__Output, _cairn_Empty>;
  
  Report: grpc.handleUnaryCall<_cairn_Empty__Output, _cairn_ReportReply>;
  
  Rmdir: grpc.handleUnaryCall<_cairn_PathRequest__Output, _cairn_ChangeReply>;
  
  SetAttr: grpc.handleUnaryCall<_cairn_SetAttrRequest__Output, _cairn_AttrReply>;
  
  SetReplication: grpc.handleUnaryCall<_cairn_SetReplicationRequest__Output, _cairn_AttrReply>;
  
  SetXattr: grpc.handleUnaryCall<_cairn_SetXattrRequest__Output, _cairn_Empty>;
  
  Stat: grpc.handleUnaryCall<_cairn_PathRequest__Output, _cairn_AttrReply>;
  
  Statfs: grpc.handleUnaryCall<_cairn_Empty__Output, _cairn_StatfsReply>;
  
  Symlink: grpc.handleUnaryCall<_cairn_SymlinkRequest__Output, _cairn_AttrReply>;
  
  Sync: grpc.handleUnaryCall<_cairn_Empty__Output, _cairn_Empty>;
  
  Truncate: grpc.handleUnaryCall<_cairn_TruncateRequest__Output, _cairn_AttrReply>;
  
  Unlink: grpc.handleUnaryCall<_cairn_PathRequest__Output, _cairn_ChangeReply>;
  
}

export interface ClientNamenodeDefinition extends grpc.ServiceDefinition {
  AllocateChunks: MethodDefinition<_cairn_AllocateChunksRequest, _cairn_AllocateChunksReply, _cairn_AllocateChunksRequest__Output, _cairn_AllocateChunksReply__Output>
  CloseFile: MethodDefinition<_cairn_InodeRequest, _cairn_Empty, _cairn_InodeRequest__Output, _cairn_Empty__Output>
  CommitChunk: MethodDefinition<_cairn_CommitChunkRequest, _cairn_CommitChunkReply, _cairn_CommitChunkRequest__Output, _cairn_CommitChunkReply__Output>
  Decommission: MethodDefinition<_cairn_DecommissionRequest, _cairn_Empty, _cairn_DecommissionRequest__Output, _cairn_Empty__Output>
  Fsck: MethodDefinition<_cairn_PathRequest, _cairn_FsckReply, _cairn_PathRequest__Output, _cairn_FsckReply__Output>
  GetChunks: MethodDefinition<_cairn_GetChunksRequest, _cairn_GetChunksReply, _cairn_GetChunksRequest__Output, _cairn_GetChunksReply__Output>
  GetXattr: MethodDefinition<_cairn_XattrRequest, _cairn_XattrReply, _cairn_XattrRequest__Output, _cairn_XattrReply__Output>
  Handshake: MethodDefinition<_cairn_Empty, _cairn_HandshakeReply, _cairn_Empty__Output, _cairn_HandshakeReply__Output>
  Link: MethodDefinition<_cairn_LinkRequest, _cairn_AttrReply, _cairn_LinkRequest__Output, _cairn_AttrReply__Output>
  ListXattr: MethodDefinition<_cairn_XattrRequest, _cairn_XattrReply, _cairn_XattrRequest__Output, _cairn_XattrReply__Output>
  Mkdir: MethodDefinition<_cairn_MkdirRequest, _cairn_AttrReply, _cairn_MkdirRequest__Output, _cairn_AttrReply__Output>
  Open: MethodDefinition<_cairn_OpenRequest, _cairn_OpenReply, _cairn_OpenRequest__Output, _cairn_OpenReply__Output>
  PrepareChunk: MethodDefinition<_cairn_PrepareChunkRequest, _cairn_PrepareChunkReply, _cairn_PrepareChunkRequest__Output, _cairn_PrepareChunkReply__Output>
  Readdir: MethodDefinition<_cairn_ReaddirRequest, _cairn_ReaddirReply, _cairn_ReaddirRequest__Output, _cairn_ReaddirReply__Output>
  Readlink: MethodDefinition<_cairn_PathRequest, _cairn_ReadlinkReply, _cairn_PathRequest__Output, _cairn_ReadlinkReply__Output>
  RemoveXattr: MethodDefinition<_cairn_XattrRequest, _cairn_Empty, _cairn_XattrRequest__Output, _cairn_Empty__Output>
  Rename: MethodDefinition<_cairn_RenameRequest, _cairn_ChangeReply, _cairn_RenameRequest__Output, _cairn_ChangeReply__Output>
  RenewLease: MethodDefinition<_cairn_Empty, _cairn_Empty, _cairn_Empty__Output, _cairn_Empty__Output>
  Report: MethodDefinition<_cairn_Empty, _cairn_ReportReply, _cairn_Empty__Output, _cairn_ReportReply__Output>
  Rmdir: MethodDefinition<_cairn_PathRequest, _cairn_ChangeReply, _cairn_PathRequest__Output, _cairn_ChangeReply__Output>
  SetAttr: MethodDefinition<_cairn_SetAttrRequest, _cairn_AttrReply, _cairn_SetAttrRequest__Output, _cairn_AttrReply__Output>
  SetReplication: MethodDefinition<_cairn_SetReplicationRequest, _cairn_AttrReply, _cairn_SetReplicationRequest__Output, _cairn_AttrReply__Output>
  SetXattr: MethodDefinition<_cairn_SetXattrRequest, _cairn_Empty, _cairn_SetXattrRequest__Output, _cairn_Empty__Output>
  Stat: MethodDefinition<_cairn_PathRequest, _cairn_AttrReply, _cairn_PathRequest__Output, _cairn_AttrReply__Output>
  Statfs: MethodDefinition<_cairn_Empty, _cairn_StatfsReply, _cairn_Empty__Output, _cairn_StatfsReply__Output>
  Symlink: MethodDefinition<_cairn_SymlinkRequest, _cairn_AttrReply, _cairn_SymlinkRequest__Output, _cairn_AttrReply__Output>
  Sync: MethodDefinition<_cairn_Empty, _cairn_Empty, _cairn_Empty__Output, _cairn_Empty__Output>
  Truncate: MethodDefinition<_cairn_TruncateRequest, _cairn_AttrReply, _cairn_TruncateRequest__Output, _cairn_AttrReply__Output>
  Unlink: MethodDefinition<_cairn_PathRequest, _cairn_ChangeReply, _cairn_PathRequest__Output, _cairn_ChangeReply__Output>
}
