// A tiny web app on $PORT (8080): a page at /, and /health for the HEALTHCHECK.
const http = require("http");
const os = require("os");

const greeting = "Hello from a Dockerfile";
const port = Number(process.env.PORT || 8080);

const server = http.createServer((req, res) => {
  if (req.url === "/health") {
    res.writeHead(200, { "Content-Type": "text/plain" });
    res.end("ok\n");
    return;
  }
  const user = os.userInfo().username;
  res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
  res.end(`<!doctype html>
<html><head><title>node-hello</title></head>
<body style="font-family: sans-serif; font-size: 2em">
<h1>${greeting}</h1>
<p>Node.js ${process.version}, app version ${process.env.APP_VERSION}, container ${os.hostname()}, user ${user}</p>
</body></html>
`);
});

// As PID 1, node gets no default signal handling: stop promptly on `docker stop`.
process.on("SIGTERM", () => process.exit(0));

server.listen(port, () => console.log(`listening on ${port}`));
