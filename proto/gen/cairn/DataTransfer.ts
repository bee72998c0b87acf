// Original file: proto/cairn.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ReadFrame as _cairn_ReadFrame, ReadFrame__Output as _cairn_ReadFrame__Output } from '../cairn/ReadFrame.js';
import type { ReadRequest as _cairn_ReadRequest, ReadRequest__Output as _cairn_ReadRequest__Output } from '../cairn/ReadRequest.js';
import type { WriteAck as _cairn_WriteAck, WriteAck__Output as _cairn_WriteAck__Output } from '../cairn/WriteAck.js';
import type { WriteFrame as _cairn_WriteFrame, WriteFrame__Output as _cairn_WriteFrame__Output } from '../cairn/WriteFrame.js';

export interface DataTransferClient extends grpc.Client {
  ReadChunk(argument: _cairn_ReadRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_cairn_ReadFrame__Output>;
  ReadChunk(argument: _cairn_ReadRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_cairn_ReadFrame__Output>;
  readChunk(argument: _cairn_ReadRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_cairn_ReadFrame__Output>;
  readChunk(argument: _cairn_ReadRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_cairn_ReadFrame__Output>;
  
  WriteChunk(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_WriteAck__Output>): grpc.ClientWritableStream<_cairn_WriteFrame>;
  WriteChunk(metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_WriteAck__Output>): grpc.ClientWritableStream<_cairn_WriteFrame>;
  WriteChunk(options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_WriteAck__Output>): grpc.ClientWritableStream<_cairn_WriteFrame>;
  WriteChunk(callback: grpc.requestCallback<_cairn_WriteAck__Output>): grpc.ClientWritableStream<_cairn_WriteFrame>;
  writeChunk(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_WriteAck__Output>): grpc.ClientWritableStream<_cairn_WriteFrame>;
  writeChunk(metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_WriteAck__Output>): grpc.ClientWritableStream<_cairn_WriteFrame>;
  writeChunk(options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_WriteAck__Output>): grpc.ClientWritableStream<_cairn_WriteFrame>;
  writeChunk(callback: grpc.requestCallback<_cairn_WriteAck__Output>): grpc.ClientWritableStream<_cairn_WriteFrame>;
  
}

export interface DataTransferHandlers extends grpc.UntypedServiceImplementation {
  ReadChunk: grpc.handleServerStreamingCall<_cairn_ReadRequest__Output, _cairn_ReadFrame>;
  
  WriteChunk: grpc.handleClientStreamingCall<_cairn_WriteFrame__Output, _cairn_WriteAck>;
  
}

export interface DataTransferDefinition extends grpc.ServiceDefinition {
  ReadChunk: MethodDefinition<_cairn_ReadRequest, _cairn_ReadFrame, _cairn_ReadRequest__Output, _cairn_ReadFrame__Output>
  WriteChunk: MethodDefinition<_cairn_WriteFrame, _cairn_WriteAck, _cairn_WriteFrame__Output, _cairn_WriteAck__Output>
}
