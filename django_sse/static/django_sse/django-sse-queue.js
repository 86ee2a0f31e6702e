// django-sse-queue.js: lets a plain <script> call DjangoSSE before the
// client module (django-sse.js, which runs deferred) has loaded. Calls of
// subscribe, presence, unsubscribe and fetchEvents are kept in order and replayed by
// the client when it starts; subscribe returns a function that
// unsubscribes, before or after that. {% sse_script %} loads this first,
// as a classic script, so `DjangoSSE` exists for every script after it.
(() => {
  if (window.DjangoSSE) return;
  const queued = [];
  window.DjangoSSE = {
    queued,
    subscribe(...args) {
      const call = { name: "subscribe", args, off: null, cancelled: false };
      queued.push(call);
      return () => (call.off ? call.off() : (call.cancelled = true));
    },
    presence(...args) {
      const call = { name: "presence", args, off: null, cancelled: false };
      queued.push(call);
      return () => (call.off ? call.off() : (call.cancelled = true));
    },
    unsubscribe(...args) {
      queued.push({ name: "unsubscribe", args });
    },
    fetchEvents(...args) {
      return new Promise((resolve, reject) => {
        queued.push({ name: "fetchEvents", args, resolve, reject });
      });
    },
  };
})();
