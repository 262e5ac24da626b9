// Config values back into `multiraft start` flags, spelled as `configOptions` spells them, for
// the commands that start nodes (`multiraft cluster`) or tell the user how to (`multiraft certs`).

import { configOptions, type RawConfig } from '../server/index.js';

/** `--flag=value` for every key set in `values`, in the order of `configOptions`. */
export function startArgs(values: RawConfig): string[] {
  return configOptions
    .filter((option) => values[option.key] !== undefined)
    .map((option) => `${option.flag.split(' ')[0]}=${String(values[option.key])}`);
}
