/**
 * The largest gRPC message a runtime and its clients (the router, the operator, tests) exchange, either way.
 *
 * grpc-js receives at most 4 MiB by default, which a legitimate answer outgrows: a chat with n 8, logprobs and
 * top_logprobs 20 spends about 1 KiB per generated token (600 tokens a choice came to 4.5 MiB), and a batch of
 * long texts to embed or classify outgrows it on the way in. 64 MiB holds 8 choices of about 8,000 tokens each
 * with 20 alternatives a token, or 600 texts of 100,000 characters. A message beyond it fails with
 * RESOURCE_EXHAUSTED ("... message larger than max ..."), which the router answers as the request's fault (400),
 * never retried. Both ends read this one constant, so they always agree.
 * @module
 */

/** 64 MiB: see the module's documentation. */
export const MAX_GRPC_MESSAGE_BYTES = 64 * 1024 * 1024;

/** Channel and server options that apply {@link MAX_GRPC_MESSAGE_BYTES} to both directions. */
export const GRPC_MESSAGE_LIMITS = {
  'grpc.max_receive_message_length': MAX_GRPC_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_GRPC_MESSAGE_BYTES,
} as const;
