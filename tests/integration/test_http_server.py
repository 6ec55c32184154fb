"""The tests' background HTTP server stops cleanly, even with connections still open."""

import socket

import requests

from fake_services.http_server import BackgroundServer


def hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


def test_close_ends_the_server_thread_with_a_keep_alive_connection_open():
    for _ in range(20):  # closing from outside the loop used to fail now and then
        server = BackgroundServer(hello, threads=2).start()
        url = f"http://127.0.0.1:{server.effective_port}/"
        with requests.Session() as session:
            assert session.get(url, timeout=5).text == "hello"
            idle = socket.create_connection(("127.0.0.1", server.effective_port))
            server.close()
            idle.close()
        assert not server.thread.is_alive()


def test_close_twice_and_before_start_is_harmless():
    server = BackgroundServer(hello)
    server.close()
    server.close()
