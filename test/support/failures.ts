// Reading a Temporal failure in a test: the chain of causes that says where a run was refused.

/** A failure's message and its causes' messages, outermost first. */
export function causes(err: unknown): string {
  const messages: string[] = [];
  for (let e = err; e instanceof Error; e = e.cause) messages.push(e.message);
  return messages.join(' <- ');
}
