// Original file: proto/cairn.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ChunkReportRequest as _cairn_ChunkReportRequest, ChunkReportRequest__Output as _cairn_ChunkReportRequest__Output } from '../cairn/ChunkReportRequest.js';
import type { Empty as _cairn_Empty, Empty__Output as _cairn_Empty__Output } from '../cairn/Empty.js';
import type { HeartbeatReply as _cairn_HeartbeatReply, HeartbeatReply__Output as _cairn_HeartbeatReply__Output } from '../cairn/HeartbeatReply.js';
import type { HeartbeatRequest as _cairn_HeartbeatRequest, HeartbeatRequest__Output as _cairn_HeartbeatRequest__Output } from '../cairn/HeartbeatRequest.js';
import type { RegisterReply as _cairn_RegisterReply, RegisterReply__Output as _cairn_RegisterReply__Output } from '../cairn/RegisterReply.js';
import type { RegisterRequest as _cairn_RegisterRequest, RegisterRequest__Output as _cairn_RegisterRequest__Output } from '../cairn/RegisterRequest.js';

export interface DatanodeNamenodeClient extends grpc.Client {
  ChunkReport(argument: _cairn_ChunkReportRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  ChunkReport(argument: _cairn_ChunkReportRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  ChunkReport(argument: _cairn_ChunkReportRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  ChunkReport(argument: _cairn_ChunkReportRequest, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  chunkReport(argument: _cairn_ChunkReportRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  chunkReport(argument: _cairn_ChunkReportRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  chunkReport(argument: _cairn_ChunkReportRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  chunkReport(argument: _cairn_ChunkReportRequest, callback: grpc.requestCallback<_cairn_Empty__Output>): grpc.ClientUnaryCall;
  
  Heartbeat(argument: _cairn_HeartbeatRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_HeartbeatReply__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _cairn_HeartbeatRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_HeartbeatReply__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _cairn_HeartbeatRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_HeartbeatReply__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _cairn_HeartbeatRequest, callback: grpc.requestCallback<_cairn_HeartbeatReply__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _cairn_HeartbeatRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_HeartbeatReply__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _cairn_HeartbeatRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_HeartbeatReply__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _cairn_HeartbeatRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_HeartbeatReply__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _cairn_HeartbeatRequest, callback: grpc.requestCallback<_cairn_HeartbeatReply__Output>): grpc.ClientUnaryCall;
  
  Register(argument: _cairn_RegisterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_RegisterReply__Output>): grpc.ClientUnaryCall;
  Register(argument: _cairn_RegisterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_RegisterReply__Output>): grpc.ClientUnaryCall;
  Register(argument: _cairn_RegisterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_RegisterReply__Output>): grpc.ClientUnaryCall;
  Register(argument: _cairn_RegisterRequest, callback: grpc.requestCallback<_cairn_RegisterReply__Output>): grpc.ClientUnaryCall;
  register(argument: _cairn_RegisterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_RegisterReply__Output>): grpc.ClientUnaryCall;
  register(argument: _cairn_RegisterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_RegisterReply__Output>): grpc.ClientUnaryCall;
  register(argument: _cairn_RegisterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_RegisterReply__Output>): grpc.ClientUnaryCall;
  register(argument: _cairn_RegisterRequest, callback: grpc.requestCallback<_cairn_RegisterReply__Output>): grpc.ClientUnaryCall;
  
}

export interface DatanodeNamenodeHandlers extends grpc.UntypedServiceImplementation {
  ChunkReport: grpc.handleUnaryCall<_cairn_ChunkReportRequest__Output, _cairn_Empty>;
  
  Heartbeat: grpc.handleUnaryCall<_cairn_HeartbeatRequest__Output, _cairn_HeartbeatReply>;
  
  Register: grpc.handleUnaryCall<_cairn_RegisterRequest__Output, _cairn_RegisterReply>;
  
}

export interface DatanodeNamenodeDefinition extends grpc.ServiceDefinition {
  ChunkReport: MethodDefinition<_cairn_ChunkReportRequest, _cairn_Empty, _cairn_ChunkReportRequest__Output, _cairn_Empty__Output>
  Heartbeat: MethodDefinition<_cairn_HeartbeatRequest, _cairn_HeartbeatReply, _cairn_HeartbeatRequest__Output, _cairn_HeartbeatReply__Output>
  Register: MethodDefinition<_cairn_RegisterRequest, _cairn_RegisterReply, _cairn_RegisterRequest__Output, _cairn_RegisterReply__Output>
}
