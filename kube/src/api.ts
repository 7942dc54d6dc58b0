/**
 * Typed calls on top of KubeClient: get, list, server-side apply (objects and status), delete, create,
 * replace. Every write names the operator's field manager.
 * @module
 */
import type { KubeClient } from './client.js';
import { type ResourceType, resourcePath } from './resources.js';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  creationTimestamp?: string;
  deletionTimestamp?: string;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

export interface ObjectList<T> {
  items: T[];
  metadata: { resourceVersion?: string };
}

const APPLY = 'application/apply-patch+yaml';

export class KubeApi {
  readonly client: KubeClient;
  readonly fieldManager: string;

  constructor(client: KubeClient, fieldManager: string) {
    this.client = client;
    this.fieldManager = fieldManager;
  }

  get<T extends KubeObject>(type: ResourceType, namespace: string, name: string): Promise<T> {
    return this.client.request<T>({ verb: 'get', method: 'GET', path: resourcePath(type, namespace, name) });
  }

  list<T extends KubeObject>(
    type: ResourceType,
    namespace?: string,
    labelSelector?: string,
  ): Promise<ObjectList<T>> {
    return this.client.request<ObjectList<T>>({
      verb: 'list',
      method: 'GET',
      path: resourcePath(type, namespace),
      query: { labelSelector },
    });
  }

  /** Server-side apply: the server merges our fields and owns them under our field manager. */
  apply<T extends KubeObject>(type: ResourceType, object: T): Promise<T> {
    return this.client.request<T>({
      verb: 'apply',
      method: 'PATCH',
      path: resourcePath(type, object.metadata.namespace, object.metadata.name),
      query: { fieldManager: this.fieldManager, force: true },
      body: object,
      contentType: APPLY,
    });
  }

  /** Server-side apply of the status subresource. */
  applyStatus<T extends KubeObject>(
    type: ResourceType,
    namespace: string,
    name: string,
    status: unknown,
  ): Promise<T> {
    return this.client.request<T>({
      verb: 'apply',
      method: 'PATCH',
      path: resourcePath(type, namespace, name, 'status'),
      query: { fieldManager: this.fieldManager, force: true },
      body: { apiVersion: type.apiVersion, kind: type.kind, metadata: { name, namespace }, status },
      contentType: APPLY,
    });
  }

  create<T extends KubeObject>(type: ResourceType, namespace: string, object: T): Promise<T> {
    return this.client.request<T>({
      verb: 'create',
      method: 'POST',
      path: resourcePath(type, namespace),
      query: { fieldManager: this.fieldManager },
      body: object,
    });
  }

  /** Replace with optimistic concurrency (the object carries metadata.resourceVersion). */
  replace<T extends KubeObject>(type: ResourceType, object: T): Promise<T> {
    return this.client.request<T>({
      verb: 'update',
      method: 'PUT',
      path: resourcePath(type, object.metadata.namespace, object.metadata.name),
      query: { fieldManager: this.fieldManager },
      body: object,
    });
  }

  /** Strategic/merge patch (e.g. bumping an Event's count). */
  mergePatch<T extends KubeObject>(
    type: ResourceType,
    namespace: string,
    name: string,
    patch: unknown,
  ): Promise<T> {
    return this.client.request<T>({
      verb: 'patch',
      method: 'PATCH',
      path: resourcePath(type, namespace, name),
      body: patch,
      contentType: 'application/merge-patch+json',
    });
  }

  delete(type: ResourceType, namespace: string, name: string): Promise<unknown> {
    return this.client.request({
      verb: 'delete',
      method: 'DELETE',
      path: resourcePath(type, namespace, name),
      body: { propagationPolicy: 'Background' },
    });
  }
}
