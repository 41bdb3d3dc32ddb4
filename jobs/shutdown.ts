// Graceful shutdown: the first SIGTERM or SIGINT starts an orderly close; a second one while closing
// means the operator wants out now.
export function untilSignal(onSecond: () => void): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false;
    const handle = (signal: NodeJS.Signals) => {
      if (received) return onSecond();
      received = true;
      resolve(signal);
    };
    process.on('SIGTERM', handle);
    process.on('SIGINT', handle);
  });
}
