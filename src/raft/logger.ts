/** The narrow logger the core writes to: plain lines, no timestamps (a simulated run repeats). */
export interface RaftLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
}

export const silentLogger: RaftLogger = {
  debug() {},
  info() {},
  warn() {},
};
