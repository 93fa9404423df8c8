// One RegistryClient per registry for a whole pull or push, so tokens and pings are shared.
import type { CredentialSource } from './credentials.js';
import { RegistryClient } from './client.js';
import { Transport, type TransportOptions } from './transport.js';

/** RegistriesOptions configure the transport and where credentials come from. */
export interface RegistriesOptions extends TransportOptions {
  transport?: Transport;
  credentials?: CredentialSource;
}

/** Registries hands out the shared client for each registry. */
export class Registries {
  readonly transport: Transport;
  private readonly clients = new Map<string, RegistryClient>();

  constructor(private readonly options: RegistriesOptions = {}) {
    this.transport = options.transport ?? new Transport(options);
  }

  /** client returns the client for a registry, using `credentials` the first time it is made. */
  client(registry: string, credentials: CredentialSource | undefined = this.options.credentials): RegistryClient {
    let client = this.clients.get(registry);
    if (!client) {
      client = new RegistryClient(registry, this.transport, credentials);
      this.clients.set(registry, client);
    }
    return client;
  }
}
