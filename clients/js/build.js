// The build: the stream parser is django-sse's own static module
// (django_sse/static/django_sse/sse-parse.js); copy it into the package.
import { copyFileSync } from "node:fs";

// SSE_PARSE_SOURCE: the file of an installed django_sse (the tests set it).
const source =
  process.env.SSE_PARSE_SOURCE ??
  new URL("../../django_sse/static/django_sse/sse-parse.js", import.meta.url);
copyFileSync(source, new URL("./parse.js", import.meta.url));
