// React hooks for django-sse-hub, in the shape front ends already use.
//
//   <SSEProvider client={createClient({ url })}><App /></SSEProvider>
//   const order = useTopic("orders", "order-created");
//   const status = useConnectionStatus();
//   const job = useProgress(jobId);
//   const { items, unreadCount } = useNotifications({ topic: `user:${me.id}` });

import {
  createContext,
  createElement,
  useContext,
  useEffect,
  useState,
  useSyncExternalStore,
} from "react";

const ClientContext = createContext(null);

export function SSEProvider({ client, children }) {
  return createElement(ClientContext.Provider, { value: client }, children);
}

export function useSSEClient() {
  const client = useContext(ClientContext);
  if (!client) throw new Error("django-sse-hub/react: wrap the app in <SSEProvider client={...}>");
  return client;
}

// The data of the latest `event` event of `topic` (null until one arrives).
export function useTopic(topic, event = "message") {
  const client = useSSEClient();
  const [value, setValue] = useState(null);
  useEffect(() => client.subscribe(topic, event, (data) => setValue(data)), [client, topic, event]);
  return value;
}

// idle|connecting|live|reconnecting|unauthorized|closed
export function useConnectionStatus() {
  const client = useSSEClient();
  return useSyncExternalStore(
    (onChange) => client.onStatus(onChange),
    () => client.status,
    () => client.status,
  );
}

async function getJSON(client, path) {
  const response = await client.fetch(new URL(path, client.root), {
    headers: { Accept: "application/json" },
    credentials: client.credentials,
  });
  if (!response.ok) throw new Error(`django-sse-hub: HTTP ${response.status} from ${path}`);
  return response.json();
}

const PROGRESS_EVENTS = ["progress", "complete", "failed", "cancelled"];

// A job's state (django_sse.contrib.progress): fetched once, then live.
export function useProgress(id) {
  const client = useSSEClient();
  const [state, setState] = useState(null);
  useEffect(() => {
    if (!id) return undefined;
    let live = false;
    const set = (data) => {
      live = true;
      setState(data);
    };
    const offs = PROGRESS_EVENTS.map((name) => client.subscribe(`progress:${id}`, name, set));
    getJSON(client, `progress/${id}/state/`)
      .then((data) => live || setState(data))
      .catch((error) => client.report(error));
    return () => offs.forEach((off) => off());
  }, [client, id]);
  return state;
}

// The signed-in user's notifications (django_sse.contrib.notifications):
// the first page from the JSON API, then new ones and the unread count live.
// `topic` is the user's topic, "user:<pk>".
export function useNotifications({ topic }) {
  const client = useSSEClient();
  const [items, setItems] = useState([]);
  const [unreadCount, setUnreadCount] = useState(0);
  useEffect(() => {
    let cancelled = false;
    const offs = [
      client.subscribe(topic, "notification", (data) => {
        setItems((current) => [data, ...current.filter((item) => item.id !== data.id)]);
      }),
      client.subscribe(topic, "unread-count", (data) => setUnreadCount(data.unread_count)),
    ];
    getJSON(client, "notifications/api/")
      .then((page) => {
        if (cancelled) return;
        setItems((current) => {
          const seen = new Set(current.map((item) => item.id));
          return [...current, ...page.items.filter((item) => !seen.has(item.id))];
        });
        setUnreadCount(page.unread_count);
      })
      .catch((error) => client.report(error));
    return () => {
      cancelled = true;
      offs.forEach((off) => off());
    };
  }, [client, topic]);
  return { items, unreadCount };
}
