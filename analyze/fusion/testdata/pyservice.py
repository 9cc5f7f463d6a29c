# pyservice is a small Python HTTP service for the acceptance test: it
# serves the files of a directory and has a command injection
# (/exec?cmd=...), the attack a profile must block.
import http.server
import os
import sys
import urllib.parse


class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        if u.path == "/exec":
            cmd = urllib.parse.parse_qs(u.query).get("cmd", ["true"])[0]
            out = os.popen(cmd).read().encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
            return
        super().do_GET()

    def log_message(self, *args):
        pass


os.chdir(sys.argv[2])
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
