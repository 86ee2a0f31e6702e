// Compiled by `npm run typecheck` only: the declarations must describe the
// API as the docs use it.
import { createClient, fetchToken, type Status } from "../index.js";
import { useConnectionStatus, useNotifications, useProgress, useTopic } from "../react.js";

const client = createClient({ url: "https://api.example.com/sse/stream/", retryMs: 500 });
const off: () => void = client.subscribe<{ id: number }>("orders", "created", (data, event) => {
  const id: number = data.id;
  const topic: string = event.topic;
  void id;
  void topic;
});
off();
const status: Status = client.status;
void status;
const token: Promise<string> = fetchToken("/sse/token/", ["user:7"], { csrfToken: "x" });
void token;

export function Widget(): string {
  const order = useTopic<{ total: number }>("orders", "created");
  const connection: Status = useConnectionStatus();
  const job = useProgress("3f2a");
  const { items, unreadCount } = useNotifications({ topic: "user:7" });
  return `${order?.total ?? 0} ${connection} ${job?.percent ?? 0} ${items.length} ${unreadCount}`;
}
