import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { AllocateChunksReply as _cairn_AllocateChunksReply, AllocateChunksReply__Output as _cairn_AllocateChunksReply__Output } from './cairn/AllocateChunksReply.js';
import type { AllocateChunksRequest as _cairn_AllocateChunksRequest, AllocateChunksRequest__Output as _cairn_AllocateChunksRequest__Output } from './cairn/AllocateChunksRequest.js';
import type { Attr as _cairn_Attr, Attr__Output as _cairn_Attr__Output } from './cairn/Attr.js';
import type { AttrChanges as _cairn_AttrChanges, AttrChanges__Output as _cairn_AttrChanges__Output } from './cairn/AttrChanges.js';
import type { AttrReply as _cairn_AttrReply, AttrReply__Output as _cairn_AttrReply__Output } from './cairn/AttrReply.js';
import type { ChangeReply as _cairn_ChangeReply, ChangeReply__Output as _cairn_ChangeReply__Output } from './cairn/ChangeReply.js';
import type { ChunkInfo as _cairn_ChunkInfo, ChunkInfo__Output as _cairn_ChunkInfo__Output } from './cairn/ChunkInfo.js';
import type { ChunkRef as _cairn_ChunkRef, ChunkRef__Output as _cairn_ChunkRef__Output } from './cairn/ChunkRef.js';
import type { ChunkReportRequest as _cairn_ChunkReportRequest, ChunkReportRequest__Output as _cairn_ChunkReportRequest__Output } from './cairn/ChunkReportRequest.js';
import type { ClientNamenodeClient as _cairn_ClientNamenodeClient, ClientNamenodeDefinition as _cairn_ClientNamenodeDefinition } from './cairn/ClientNamenode.js';
import type { CommitChunkReply as _cairn_CommitChunkReply, CommitChunkReply__Output as _cairn_CommitChunkReply__Output } from './cairn/CommitChunkReply.js';
import type { CommitChunkRequest as _cairn_CommitChunkRequest, CommitChunkRequest__Output as _cairn_CommitChunkRequest__Output } from './cairn/CommitChunkRequest.js';
import type { DatanodeAddress as _cairn_DatanodeAddress, DatanodeAddress__Output as _cairn_DatanodeAddress__Output } from './cairn/DatanodeAddress.js';
import type { DatanodeCommand as _cairn_DatanodeCommand, DatanodeCommand__Output as _cairn_DatanodeCommand__Output } from './cairn/DatanodeCommand.js';
import type { DatanodeNamenodeClient as _cairn_DatanodeNamenodeClient, DatanodeNamenodeDefinition as _cairn_DatanodeNamenodeDefinition } from './cairn/DatanodeNamenode.js';
import type { DatanodeReport as _cairn_DatanodeReport, DatanodeReport__Output as _cairn_DatanodeReport__Output } from './cairn/DatanodeReport.js';
import type { DecommissionRequest as _cairn_DecommissionRequest, DecommissionRequest__Output as _cairn_DecommissionRequest__Output } from './cairn/DecommissionRequest.js';
import type { DirEntry as _cairn_DirEntry, DirEntry__Output as _cairn_DirEntry__Output } from './cairn/DirEntry.js';
import type { Empty as _cairn_Empty, Empty__Output as _cairn_Empty__Output } from './cairn/Empty.js';
import type { FsckReply as _cairn_FsckReply, FsckReply__Output as _cairn_FsckReply__Output } from './cairn/FsckReply.js';
import type { GetChunksReply as _cairn_GetChunksReply, GetChunksReply__Output as _cairn_GetChunksReply__Output } from './cairn/GetChunksReply.js';
import type { GetChunksRequest as _cairn_GetChunksRequest, GetChunksRequest__Output as _cairn_GetChunksRequest__Output } from './cairn/GetChunksRequest.js';
import type { HandshakeReply as _cairn_HandshakeReply, HandshakeReply__Output as _cairn_HandshakeReply__Output } from './cairn/HandshakeReply.js';
import type { HeartbeatReply as _cairn_HeartbeatReply, HeartbeatReply__Output as _cairn_HeartbeatReply__Output } from './cairn/HeartbeatReply.js';
import type { HeartbeatRequest as _cairn_HeartbeatRequest, HeartbeatRequest__Output as _cairn_HeartbeatRequest__Output } from './cairn/HeartbeatRequest.js';
import type { InodeRequest as _cairn_InodeRequest, InodeRequest__Output as _cairn_InodeRequest__Output } from './cairn/InodeRequest.js';
import type { LinkRequest as _cairn_LinkRequest, LinkRequest__Output as _cairn_LinkRequest__Output } from './cairn/LinkRequest.js';
import type { MkdirRequest as _cairn_MkdirRequest, MkdirRequest__Output as _cairn_MkdirRequest__Output } from './cairn/MkdirRequest.js';
import type { OpenReply as _cairn_OpenReply, OpenReply__Output as _cairn_OpenReply__Output } from './cairn/OpenReply.js';
import type { OpenRequest as _cairn_OpenRequest, OpenRequest__Output as _cairn_OpenRequest__Output } from './cairn/OpenRequest.js';
import type { PathRequest as _cairn_PathRequest, PathRequest__Output as _cairn_PathRequest__Output } from './cairn/PathRequest.js';
import type { PrepareChunkReply as _cairn_PrepareChunkReply, PrepareChunkReply__Output as _cairn_PrepareChunkReply__Output } from './cairn/PrepareChunkReply.js';
import type { PrepareChunkRequest as _cairn_PrepareChunkRequest, PrepareChunkRequest__Output as _cairn_PrepareChunkRequest__Output } from './cairn/PrepareChunkRequest.js';
import type { ReadRequest as _cairn_ReadRequest, ReadRequest__Output as _cairn_ReadRequest__Output } from './cairn/ReadRequest.js';
import type { ReaddirReply as _cairn_ReaddirReply, ReaddirReply__Output as _cairn_ReaddirReply__Output } from './cairn/ReaddirReply.js';
import type { ReaddirRequest as _cairn_ReaddirRequest, ReaddirRequest__Output as _cairn_ReaddirRequest__Output } from './cairn/ReaddirRequest.js';
import type { ReadlinkReply as _cairn_ReadlinkReply, ReadlinkReply__Output as _cairn_ReadlinkReply__Output } from './cairn/ReadlinkReply.js';
import type { RegisterReply as _cairn_RegisterReply, RegisterReply__Output as _cairn_RegisterReply__Output } from './cairn/RegisterReply.js';
import type { RegisterRequest as _cairn_RegisterRequest, RegisterRequest__Output as _cairn_RegisterRequest__Output } from './cairn/RegisterRequest.js';
import type { RenameRequest as _cairn_RenameRequest, RenameRequest__Output as _cairn_RenameRequest__Output } from './cairn/RenameRequest.js';
import type { ReplicaId as _cairn_ReplicaId, ReplicaId__Output as _cairn_ReplicaId__Output } from './cairn/ReplicaId.js';
import type { ReplicateCommand as _cairn_ReplicateCommand, ReplicateCommand__Output as _cairn_ReplicateCommand__Output } from './cairn/ReplicateCommand.js';
import type { ReportReply as _cairn_ReportReply, ReportReply__Output as _cairn_ReportReply__Output } from './cairn/ReportReply.js';
import type { SetAttrRequest as _cairn_SetAttrRequest, SetAttrRequest__Output as _cairn_SetAttrRequest__Output } from './cairn/SetAttrRequest.js';
import type { SetReplicationRequest as _cairn_SetReplicationRequest, SetReplicationRequest__Output as _cairn_SetReplicationRequest__Output } from './cairn/SetReplicationRequest.js';
import type { SetXattrRequest as _cairn_SetXattrRequest, SetXattrRequest__Output as _cairn_SetXattrRequest__Output } from './cairn/SetXattrRequest.js';
import type { StatfsReply as _cairn_StatfsReply, StatfsReply__Output as _cairn_StatfsReply__Output } from './cairn/StatfsReply.js';
import type { SymlinkRequest as _cairn_SymlinkRequest, SymlinkRequest__Output as _cairn_SymlinkRequest__Output } from './cairn/SymlinkRequest.js';
import type { SyncRequest as _cairn_SyncRequest, SyncRequest__Output as _cairn_SyncRequest__Output } from './cairn/SyncRequest.js';
import type { TruncateRequest as _cairn_TruncateRequest, TruncateRequest__Output as _cairn_TruncateRequest__Output } from './cairn/TruncateRequest.js';
import type { WriteAck as _cairn_WriteAck, WriteAck__Output as _cairn_WriteAck__Output } from './cairn/WriteAck.js';
import type { WriteEnd as _cairn_WriteEnd, WriteEnd__Output as _cairn_WriteEnd__Output } from './cairn/WriteEnd.js';
import type { WriteHeader as _cairn_WriteHeader, WriteHeader__Output as _cairn_WriteHeader__Output } from './cairn/WriteHeader.js';
import type { XattrReply as _cairn_XattrReply, XattrReply__Output as _cairn_XattrReply__Output } from './cairn/XattrReply.js';
import type { XattrRequest as _cairn_XattrRequest, XattrRequest__Output as _cairn_XattrRequest__Output } from './cairn/XattrRequest.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  cairn: {
    AllocateChunksReply: MessageTypeDefinition<_cairn_AllocateChunksReply, _cairn_AllocateChunksReply__Output>
    AllocateChunksRequest: MessageTypeDefinition<_cairn_AllocateChunksRequest, _cairn_AllocateChunksRequest__Output>
    Attr: MessageTypeDefinition<_cairn_Attr, _cairn_Attr__Output>
    AttrChanges: MessageTypeDefinition<_cairn_AttrChanges, _cairn_AttrChanges__Output>
    AttrReply: MessageTypeDefinition<_cairn_AttrReply, _cairn_AttrReply__Output>
    ChangeReply: MessageTypeDefinition<_cairn_ChangeReply, _cairn_ChangeReply__Output>
    ChunkInfo: MessageTypeDefinition<_cairn_ChunkInfo, _cairn_ChunkInfo__Output>
    ChunkRef: MessageTypeDefinition<_cairn_ChunkRef, _cairn_ChunkRef__Output>
    ChunkReportRequest: MessageTypeDefinition<_cairn_ChunkReportRequest, _cairn_ChunkReportRequest__Output>
    ClientNamenode: SubtypeConstructor<typeof grpc.Client, _cairn_ClientNamenodeClient> & { service: _cairn_ClientNamenodeDefinition }
    CommitChunkReply: MessageTypeDefinition<_cairn_CommitChunkReply, _cairn_CommitChunkReply__Output>
    CommitChunkRequest: MessageTypeDefinition<_cairn_CommitChunkRequest, _cairn_CommitChunkRequest__Output>
    DatanodeAddress: MessageTypeDefinition<_cairn_DatanodeAddress, _cairn_DatanodeAddress__Output>
    DatanodeCommand: MessageTypeDefinition<_cairn_DatanodeCommand, _cairn_DatanodeCommand__Output>
    DatanodeNamenode: SubtypeConstructor<typeof grpc.Client, _cairn_DatanodeNamenodeClient> & { service: _cairn_DatanodeNamenodeDefinition }
    DatanodeReport: MessageTypeDefinition<_cairn_DatanodeReport, _cairn_DatanodeReport__Output>
    DecommissionRequest: MessageTypeDefinition<_cairn_DecommissionRequest, _cairn_DecommissionRequest__Output>
    DirEntry: MessageTypeDefinition<_cairn_DirEntry, _cairn_DirEntry__Output>
    Empty: MessageTypeDefinition<_cairn_Empty, _cairn_Empty__Output>
    FileType: EnumTypeDefinition
    FsckReply: MessageTypeDefinition<_cairn_FsckReply, _cairn_FsckReply__Output>
    GetChunksReply: MessageTypeDefinition<_cairn_GetChunksReply, _cairn_GetChunksReply__Output>
    GetChunksRequest: MessageTypeDefinition<_cairn_GetChunksRequest, _cairn_GetChunksRequest__Output>
    HandshakeReply: MessageTypeDefinition<_cairn_HandshakeReply, _cairn_HandshakeReply__Output>
    HeartbeatReply: MessageTypeDefinition<_cairn_HeartbeatReply, _cairn_HeartbeatReply__Output>
    HeartbeatRequest: MessageTypeDefinition<_cairn_HeartbeatRequest, _cairn_HeartbeatRequest__Output>
    InodeRequest: MessageTypeDefinition<_cairn_InodeRequest, _cairn_InodeRequest__Output>
    LinkRequest: MessageTypeDefinition<_cairn_LinkRequest, _cairn_LinkRequest__Output>
    MkdirRequest: MessageTypeDefinition<_cairn_MkdirRequest, _cairn_MkdirRequest__Output>
    OpenReply: MessageTypeDefinition<_cairn_OpenReply, _cairn_OpenReply__Output>
    OpenRequest: MessageTypeDefinition<_cairn_OpenRequest, _cairn_OpenRequest__Output>
    PathRequest: MessageTypeDefinition<_cairn_PathRequest, _cairn_PathRequest__Output>
    PrepareChunkReply: MessageTypeDefinition<_cairn_PrepareChunkReply, _cairn_PrepareChunkReply__Output>
    PrepareChunkRequest: MessageTypeDefinition<_cairn_PrepareChunkRequest, _cairn_PrepareChunkRequest__Output>
    ReadRequest: MessageTypeDefinition<_cairn_ReadRequest, _cairn_ReadRequest__Output>
    ReaddirReply: MessageTypeDefinition<_cairn_ReaddirReply, _cairn_ReaddirReply__Output>
    ReaddirRequest: MessageTypeDefinition<_cairn_ReaddirRequest, _cairn_ReaddirRequest__Output>
    ReadlinkReply: MessageTypeDefinition<_cairn_ReadlinkReply, _cairn_ReadlinkReply__Output>
    RegisterReply: MessageTypeDefinition<_cairn_RegisterReply, _cairn_RegisterReply__Output>
    RegisterRequest: MessageTypeDefinition<_cairn_RegisterRequest, _cairn_RegisterRequest__Output>
    RenameRequest: MessageTypeDefinition<_cairn_RenameRequest, _cairn_RenameRequest__Output>
    ReplicaId: MessageTypeDefinition<_cairn_ReplicaId, _cairn_ReplicaId__Output>
    ReplicateCommand: MessageTypeDefinition<_cairn_ReplicateCommand, _cairn_ReplicateCommand__Output>
    ReportReply: MessageTypeDefinition<_cairn_ReportReply, _cairn_ReportReply__Output>
    SetAttrRequest: MessageTypeDefinition<_cairn_SetAttrRequest, _cairn_SetAttrRequest__Output>
    SetReplicationRequest: MessageTypeDefinition<_cairn_SetReplicationRequest, _cairn_SetReplicationRequest__Output>
    SetXattrRequest: MessageTypeDefinition<_cairn_SetXattrRequest, _cairn_SetXattrRequest__Output>
    StatfsReply: MessageTypeDefinition<_cairn_StatfsReply, _cairn_StatfsReply__Output>
    SymlinkRequest: MessageTypeDefinition<_cairn_SymlinkRequest, _cairn_SymlinkRequest__Output>
    SyncRequest: MessageTypeDefinition<_cairn_SyncRequest, _cairn_SyncRequest__Output>
    TruncateRequest: MessageTypeDefinition<_cairn_TruncateRequest, _cairn_TruncateRequest__Output>
    WriteAck: MessageTypeDefinition<_cairn_WriteAck, _cairn_WriteAck__Output>
    WriteEnd: MessageTypeDefinition<_cairn_WriteEnd, _cairn_WriteEnd__Output>
    WriteHeader: MessageTypeDefinition<_cairn_WriteHeader, _cairn_WriteHeader__Output>
    XattrReply: MessageTypeDefinition<_cairn_XattrReply, _cairn_XattrReply__Output>
    XattrRequest: MessageTypeDefinition<_cairn_XattrRequest, _cairn_XattrRequest__Output>
  }
}

