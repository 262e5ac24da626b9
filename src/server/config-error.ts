// The one error of configuration: a setting that is missing, malformed or inconsistent. The CLI
// reports it in one log line and exits with code 2 (a usage error, not a failure of the node).

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'INVALID_CONFIG';
  /**
   * @param key the setting at fault, as spelled in the config file (`partitions`, `tlsKey`, …)
   * @param source where its value came from (`--partitions`, `MULTIRAFT_PARTITIONS`, a file, …)
   */
  constructor(
    readonly key: string,
    readonly source: string,
    why: string,
    options?: ErrorOptions,
  ) {
    super(`invalid ${key} (${source}): ${why}`, options);
  }
}
