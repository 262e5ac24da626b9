// The partition's services (primitive instances), by id and by (namespace, name).

import { assert } from '../common/index.js';
import type { Service, ServiceType } from './service.js';

export interface ServiceEntry {
  readonly id: number;
  readonly type: ServiceType;
  readonly namespace: string;
  readonly name: string;
  /** The attached sessions. */
  readonly sessions: Set<number>;
  instance: Service;
}

export const defaultNamespace = 'default';

const nameKey = (namespace: string, name: string): string => JSON.stringify([namespace, name]);

export class ServiceTable {
  readonly #byId = new Map<number, ServiceEntry>();
  readonly #byName = new Map<string, ServiceEntry>();

  get size(): number {
    return this.#byId.size;
  }

  get(id: number): ServiceEntry | undefined {
    return this.#byId.get(id);
  }

  find(namespace: string, name: string): ServiceEntry | undefined {
    return this.#byName.get(nameKey(namespace, name));
  }

  add(entry: ServiceEntry): void {
    assert(!this.#byId.has(entry.id), 'service ids are unique');
    assert(this.find(entry.namespace, entry.name) === undefined, 'service names are unique');
    this.#byId.set(entry.id, entry);
    this.#byName.set(nameKey(entry.namespace, entry.name), entry);
  }

  /** Services in id order. */
  sorted(): ServiceEntry[] {
    return [...this.#byId.values()].sort((a, b) => a.id - b.id);
  }
}
