// What the host reports for metrics (DESIGN §7), as a narrow interface so the host stays free of
// any metrics library and of the real clock: timings start and stop through callbacks the
// observer hands out (the server's measure with a monotonic clock; the simulator passes none).

export interface HostObserver {
  /** A proposal reached the host; the returned function runs at its first output or failure. */
  proposal(): () => void;
  /** A linearizable read reached the host. */
  read(): void;
  /** A replica's ready() starts; the returned function runs after it with the entries applied. */
  apply(): (entries: number) => void;
  /** A snapshot this node took of its own state was saved. */
  snapshotTaken(): void;
  /** A snapshot received from a leader was installed. */
  snapshotInstalled(): void;
  /** This node started sending a snapshot to a follower (its first chunk left). */
  snapshotSent(): void;
}
