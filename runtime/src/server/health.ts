/**
 * `grpc.health.v1.Health`: what Kubernetes gRPC probes and grpc-health-probe call.
 *
 * SERVING means the model is loaded and the process is not shutting down. The whole server (""), the served
 * model's name and the inference service's name are known services; any other name is NOT_FOUND for Check
 * and SERVICE_UNKNOWN for Watch, as the health protocol specifies.
 * @module
 */
import { type ServerWritableStream, status, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { INFERENCE_SERVICE_NAME } from '../protocol/proto.js';
import type { HealthCheckRequest, HealthCheckResponse, ServingStatus } from '../protocol/types.js';
import type { ModelManager } from './model-manager.js';

type WatchCall = ServerWritableStream<HealthCheckRequest, HealthCheckResponse>;

export class HealthService {
  /** Open Watch streams and how to unsubscribe each. */
  private readonly watchers = new Map<WatchCall, () => void>();

  constructor(
    private readonly manager: ModelManager,
    private readonly modelName: string,
  ) {}

  /** The status of a service name, or SERVICE_UNKNOWN. */
  statusOf(service: string): ServingStatus {
    if (service !== '' && service !== this.modelName && service !== INFERENCE_SERVICE_NAME)
      return 'SERVICE_UNKNOWN';
    return this.manager.serving ? 'SERVING' : 'NOT_SERVING';
  }

  /** Ends every Watch stream (at shutdown, after they saw NOT_SERVING), so the server can close. */
  endWatches(): void {
    for (const [call, stop] of this.watchers) {
      stop();
      call.end();
    }
  }

  /** Handlers for `server.addService(healthServiceDefinition(), ...)`. */
  handlers(): UntypedServiceImplementation {
    return {
      Check: (
        call: { request: HealthCheckRequest },
        callback: (error: { code: status; details: string } | null, response?: HealthCheckResponse) => void,
      ) => {
        const service = call.request.service ?? '';
        const current = this.statusOf(service);
        if (current === 'SERVICE_UNKNOWN') {
          callback({ code: status.NOT_FOUND, details: `unknown service '${service}'` });
          return;
        }
        callback(null, { status: current });
      },
      Watch: (call: WatchCall) => this.watch(call),
    };
  }

  private watch(call: WatchCall): void {
    const service = call.request.service ?? '';
    let last: ServingStatus | undefined;
    const send = () => {
      const current = this.statusOf(service);
      if (current !== last) {
        last = current;
        call.write({ status: current });
      }
    };
    const stop = () => {
      this.manager.off('change', send);
      this.watchers.delete(call);
    };
    this.watchers.set(call, stop);
    this.manager.on('change', send);
    call.on('cancelled', stop);
    call.on('close', stop);
    send();
  }
}
