import type { Config } from "../config/config.js";

/**
 * Points in the send path where a test can stop or kill the process, to
 * reproduce a stall or a crash with a real process. Empty outside NODE_ENV=test.
 */
export interface ChatTestHooks {
  /** After a message's seq is claimed, before the message is inserted. */
  afterClaim?: () => Promise<void>;
  /** After a message is stored, before its counters and push. */
  afterStore?: () => void;
}

/** The hooks the configuration asks for (TEST_STOP_AFTER_CLAIMS, TEST_CRASH_AFTER_STORE); none unless NODE_ENV=test. */
export function chatTestHooks(config: Pick<Config, "NODE_ENV" | "TEST_STOP_AFTER_CLAIMS" | "TEST_CRASH_AFTER_STORE">): ChatTestHooks {
  if (config.NODE_ENV !== "test") return {};
  const hooks: ChatTestHooks = {};
  const stopAfter = config.TEST_STOP_AFTER_CLAIMS;
  if (stopAfter) {
    // The first `stopAfter` claims wait for each other, then the process stops
    // itself with all of them claimed and none written; SIGCONT lets them go on.
    const waiting: Array<() => void> = [];
    let stopped = false;
    hooks.afterClaim = () => {
      if (stopped) return Promise.resolve();
      return new Promise<void>((resolve) => {
        waiting.push(resolve);
        if (waiting.length < stopAfter) return;
        stopped = true;
        process.kill(process.pid, "SIGSTOP");
        for (const release of waiting) release();
      });
    };
  }
  if (config.TEST_CRASH_AFTER_STORE) hooks.afterStore = () => process.kill(process.pid, "SIGKILL");
  return hooks;
}
