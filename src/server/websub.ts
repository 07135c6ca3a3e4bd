// WebSub publishing: after a rebuild that changed a feed, tell the hub which
// feed URLs changed, so it fetches them and pushes the news to subscribers
// (W3C WebSub §6: `hub.mode=publish`, `hub.url=<topic>`).
export interface HubPing {
  hub: string;
  topics: string[];
}

/** Pings the hub once per changed topic; resolves to the failures (the service logs them). */
export async function pingHub(ping: HubPing, fetcher: typeof fetch = fetch, timeoutMs = 10_000): Promise<Array<{ topic: string; problem: string }>> {
  const failures: Array<{ topic: string; problem: string }> = [];
  for (const topic of ping.topics) {
    try {
      const res = await fetcher(ping.hub, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ 'hub.mode': 'publish', 'hub.url': topic }).toString(),
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) failures.push({ topic, problem: `the hub answered ${res.status}` });
    } catch (err) {
      failures.push({ topic, problem: (err as Error).message });
    }
  }
  return failures;
}
