// The real django-sse server the tests run against: tests/test_js_client.py
// starts it, makes the users and passes their details in the environment.
export const SERVER = process.env.SSE_TEST_SERVER;
if (!SERVER) {
  throw new Error("Run these tests through pytest tests/test_js_client.py (it starts the server).");
}
export const STREAM = `${SERVER}/sse/stream/`;
export const USER_ID = process.env.SSE_TEST_USER_ID;
export const SESSION = process.env.SSE_TEST_SESSION;
export const CSRF = process.env.SSE_TEST_CSRF;
export const JOB_ID = process.env.SSE_TEST_JOB_ID;

// fetch() with a session's cookie (Node keeps no cookie jar), through the
// fetch() there is when it is made (a test may put another in its place).
export function fetchAs(session) {
  const base = globalThis.fetch;
  const cookie = `sessionid=${session}; csrftoken=${CSRF}`;
  return (url, init = {}) =>
    base(url, { ...init, headers: { ...(init.headers ?? {}), Cookie: cookie } });
}

// fetch() as the tests' user.
export const sessionFetch = fetchAs(SESSION);

export async function post(path, body) {
  const response = await fetch(`${SERVER}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  assertOk(response);
  return response.json();
}

export const publish = (topic, data, event) => post("/test-publish/", { topic, data, event });

function assertOk(response) {
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
}

// Wait for predicate(); on timeout, say what describe() shows then.
export async function until(predicate, timeout = 10000, describe = () => "") {
  const deadline = Date.now() + timeout;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${predicate} ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
