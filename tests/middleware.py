"""Middleware the tests put in front of streams."""

import gzip

from django.utils.deprecation import MiddlewareMixin


class HeadersCompressor(MiddlewareMixin):
    """A compressor that reads ``request.headers`` (cached on first use) rather
    than ``request.META``, as many third-party ones do: it must leave streams
    alone too."""

    def process_response(self, request, response):
        if "gzip" not in request.headers.get("Accept-Encoding", "") or response.has_header(
            "Content-Encoding"
        ):
            return response
        if response.streaming:
            original = response.streaming_content

            async def compressed():
                async for chunk in original:
                    yield gzip.compress(chunk)

            response.streaming_content = compressed()
        else:
            response.content = gzip.compress(response.content)
        response["Content-Encoding"] = "gzip"
        return response


def sync_only(get_response):
    """A middleware Django must call through a thread under ASGI."""

    def middleware(request):
        return get_response(request)

    return middleware
