/* neuroc-agent: runs routines of this routine library on request and reports
 * their timings (docs/agent.md). Transports: stdio (one client on
 * stdin/stdout) and TCP (clients one after another). Each measurement runs in
 * a child process, so a routine that crashes or hangs on the arguments it was
 * sent becomes an Error reply and the agent goes on serving. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "posix_io.h"
#include "measure.h"
#include "neuroc_agent.pb-c.h"
#include "session.h"

#ifndef NEUROC_VERSION
#define NEUROC_VERSION "0.1.0"
#endif

typedef struct agent_opts {
  int stdio, once, no_fork, quiet;
  const char *listen;    /* [ADDR:]PORT */
  const char *port_file; /* where to write the bound port (for --listen ...:0) */
  uint64_t max_bytes;
  uint32_t max_frame;
  double frame_timeout_s; /* a partial frame silent this long is truncated */
  double time_limit_s;    /* one measurement, in the child */
} agent_opts;

typedef struct measure_ctx {
  const agent_opts *opts;
  int close_fds[3]; /* the child closes these (client connection, listener) */
} measure_ctx;

static int g_quiet;

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...) {
  if (g_quiet) return;
  va_list ap;
  va_start(ap, fmt);
  fputs("neuroc-agent: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

static void usage(FILE *f) {
  fputs("usage: neuroc-agent --stdio | --listen [ADDR:]PORT [--once] [options]\n"
        "Runs routines of the neuroc routine library on request and reports their timings\n"
        "(protocol: docs/agent.md).\n"
        "  --stdio              serve one client on stdin/stdout (logs go to stderr)\n"
        "  --listen [ADDR:]PORT serve TCP clients one after another; ADDR defaults to\n"
        "                       127.0.0.1; PORT 0 picks a free port\n"
        "  --once               with --listen: exit after the first client\n"
        "  --port-file PATH     with --listen: write the bound port to PATH\n"
        "  --max-bytes N        bytes one measurement may allocate (default 1073741824)\n"
        "  --max-frame N        largest request payload in bytes (default 67108864)\n"
        "  --frame-timeout S    a frame that stops arriving for S seconds is answered as\n"
        "                       truncated (default 10)\n"
        "  --time-limit S       one measurement may run S seconds (default 60)\n"
        "  --no-fork            measure in the agent process itself (no crash isolation)\n"
        "  --quiet              no log lines on stderr\n"
        "  --version, --help\n",
        f);
}

/* ---------------- one measurement in a child process ---------------- */

typedef struct child_result {
  int status;
  nc_measurement m;
  char err[512];
} child_result;

static int read_full(int fd, void *p, size_t n, int timeout_ms) {
  size_t got = 0;
  while (got < n) {
    struct pollfd pf = {fd, POLLIN, 0};
    int pr = poll(&pf, 1, timeout_ms);
    if (pr < 0 && errno == EINTR) continue;
    if (pr <= 0) return -1;
    ssize_t k = read(fd, (char *)p + got, n - got);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return -1;
    got += (size_t)k;
  }
  return 0;
}

static int isolated_measure(void *vctx, const nc_routine *r, const nc_args *a,
                            const uint8_t *is_const, const nc_measure_opts *o, nc_measurement *m,
                            char *err, size_t errn) {
  measure_ctx *ctx = vctx;
  if (ctx->opts->no_fork) return nc_measure_routine(r, a, NULL, is_const, o, m, err, errn);
  int p[2];
  if (pipe(p)) {
    snprintf(err, errn, "pipe: %s", strerror(errno));
    return NEUROC__AGENT__ERROR_CODE__INTERNAL;
  }
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    snprintf(err, errn, "fork: %s", strerror(errno));
    close(p[0]);
    close(p[1]);
    return NEUROC__AGENT__ERROR_CODE__INTERNAL;
  }
  if (pid == 0) {
    close(p[0]);
    for (int i = 0; i < 3; i++)
      if (ctx->close_fds[i] >= 0) close(ctx->close_fds[i]);
    alarm((unsigned)(ctx->opts->time_limit_s + 0.999));
    child_result res;
    memset(&res, 0, sizeof res);
    res.status = nc_measure_routine(r, a, NULL, is_const, o, &res.m, res.err, sizeof res.err);
    ssize_t w = write(p[1], &res, sizeof res);
    _exit(w == (ssize_t)sizeof res ? 0 : 1);
  }
  close(p[1]);
  child_result res;
  int got = read_full(p[0], &res, sizeof res, (int)((ctx->opts->time_limit_s + 5) * 1000));
  close(p[0]);
  if (got) kill(pid, SIGKILL);
  int ws = 0;
  while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
  }
  if (got == 0) {
    *m = res.m;
    snprintf(err, errn, "%s", res.err);
    return res.status;
  }
  if (WIFSIGNALED(ws) && WTERMSIG(ws) == SIGALRM)
    snprintf(err, errn, "ran past the time limit of %g s (--time-limit)", ctx->opts->time_limit_s);
  else if (WIFSIGNALED(ws))
    snprintf(err, errn, "the routine crashed with signal %d (%s) on these arguments",
             WTERMSIG(ws), strsignal(WTERMSIG(ws)));
  else
    snprintf(err, errn, "the measuring process exited with status %d",
             WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
  return NEUROC__AGENT__ERROR_CODE__ROUTINE_FAILED;
}

/* ---------------- serving one connection ---------------- */

/* Serve one client until it ends the connection or sends Shutdown.
 * Returns 1 when Shutdown was asked for. */
static int serve(const nc_agent_config *cfg, const agent_opts *o, int in_fd, int out_fd) {
  nc_agent_session s;
  nc_agent_session_init(&s, cfg);
  static uint8_t buf[1 << 16];
  int shutdown = 0;
  for (;;) {
    if (s.out.len) {
      if (nc_write_all(out_fd, s.out.data, s.out.len)) {
        logf_("client went away while a reply was sent");
        break;
      }
      s.out.len = 0;
    }
    if (s.shutdown) {
      shutdown = 1;
      break;
    }
    int timeout = nc_agent_session_partial(&s) ? (int)(o->frame_timeout_s * 1000) : -1;
    struct pollfd pf = {in_fd, POLLIN, 0};
    int pr = poll(&pf, 1, timeout);
    if (pr < 0 && errno == EINTR) continue;
    if (pr < 0) break;
    int rc;
    if (pr == 0) {
      logf_("a frame stopped arriving (--frame-timeout %g s)", o->frame_timeout_s);
      rc = nc_agent_session_truncated(&s);
    } else {
      ssize_t n = read(in_fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        /* end of input: answer a partial frame, then end */
        while (nc_agent_session_partial(&s) && s.in.len)
          if (nc_agent_session_truncated(&s)) break;
        if (s.out.len) nc_write_all(out_fd, s.out.data, s.out.len);
        break;
      }
      rc = nc_agent_session_feed(&s, buf, (size_t)n);
    }
    if (rc) {
      logf_("out of memory: closing the connection");
      break;
    }
  }
  logf_("connection ended: %ld requests, %ld errors", s.requests, s.errors);
  nc_agent_session_free(&s);
  return shutdown;
}

/* ---------------- TCP ---------------- */

static int open_listener(const char *spec, const char *port_file) {
  char host[256] = "127.0.0.1", port[32];
  const char *colon = strrchr(spec, ':');
  if (colon) {
    size_t hl = (size_t)(colon - spec);
    if (hl >= sizeof host) hl = sizeof host - 1;
    memcpy(host, spec, hl);
    host[hl] = 0;
    if (host[0] == '[' && hl >= 2 && host[hl - 1] == ']') {
      memmove(host, host + 1, hl - 2);
      host[hl - 2] = 0;
    }
    snprintf(port, sizeof port, "%s", colon + 1);
  } else {
    snprintf(port, sizeof port, "%s", spec);
  }
  struct addrinfo hints, *ai = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  int gr = getaddrinfo(host, port, &hints, &ai);
  if (gr) {
    fprintf(stderr, "neuroc-agent: --listen %s: %s\n", spec, gai_strerror(gr));
    return -1;
  }
  int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
  int one = 1;
  if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 4)) {
    fprintf(stderr, "neuroc-agent: --listen %s: %s\n", spec, strerror(errno));
    if (fd >= 0) close(fd);
    freeaddrinfo(ai);
    return -1;
  }
  freeaddrinfo(ai);
  struct sockaddr_storage sa;
  socklen_t sl = sizeof sa;
  char bound[32] = "?";
  if (getsockname(fd, (struct sockaddr *)&sa, &sl) == 0 &&
      getnameinfo((struct sockaddr *)&sa, sl, NULL, 0, bound, sizeof bound, NI_NUMERICSERV) != 0)
    snprintf(bound, sizeof bound, "?");
  logf_("listening on %s port %s", host, bound);
  if (port_file) {
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%s\n", bound) < 0 || fclose(f) || rename(tmp, port_file)) {
      fprintf(stderr, "neuroc-agent: --port-file %s: %s\n", port_file, strerror(errno));
      close(fd);
      return -1;
    }
  }
  return fd;
}

static int serve_tcp(const nc_agent_config *cfg, const agent_opts *o, measure_ctx *mctx) {
  int lfd = open_listener(o->listen, o->port_file);
  if (lfd < 0) return 1;
  for (;;) {
    int cfd = accept(lfd, NULL, NULL);
    if (cfd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      fprintf(stderr, "neuroc-agent: accept: %s\n", strerror(errno));
      close(lfd);
      return 1;
    }
    logf_("client connected");
    mctx->close_fds[0] = cfd;
    mctx->close_fds[1] = lfd;
    /* Shutdown ends this client's session; the listener stays for the next
     * one (stop it with a signal, or run it with --once). */
    serve(cfg, o, cfd, cfd);
    close(cfd);
    if (o->once) break;
  }
  close(lfd);
  return 0;
}

/* ---------------- command line ---------------- */

static int parse_number(const char *flag, const char *v, double lo, double hi, double *out) {
  char *end;
  errno = 0;
  double x = v ? strtod(v, &end) : 0;
  if (!v || !v[0] || *end || errno || !(x >= lo && x <= hi)) {
    fprintf(stderr, "neuroc-agent: %s wants a number in %g..%g, got '%s'\n", flag, lo, hi,
            v ? v : "(nothing)");
    return -1;
  }
  *out = x;
  return 0;
}

static int parse_args(int argc, char **argv, agent_opts *o) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    double x;
    if (strcmp(a, "--stdio") == 0) o->stdio = 1;
    else if (strcmp(a, "--once") == 0) o->once = 1;
    else if (strcmp(a, "--no-fork") == 0) o->no_fork = 1;
    else if (strcmp(a, "--quiet") == 0) o->quiet = 1;
    else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      exit(0);
    } else if (strcmp(a, "--version") == 0) {
      printf("neuroc-agent %s (routine library %s)\n", NEUROC_VERSION, nc_runtime_version());
      exit(0);
    } else if (strcmp(a, "--listen") == 0 && v) {
      o->listen = v;
      i++;
    } else if (strcmp(a, "--port-file") == 0 && v) {
      o->port_file = v;
      i++;
    } else if (strcmp(a, "--max-bytes") == 0) {
      if (parse_number(a, v, 1, 1e15, &x)) return -1;
      o->max_bytes = (uint64_t)x;
      i++;
    } else if (strcmp(a, "--max-frame") == 0) {
      if (parse_number(a, v, 64, 1u << 30, &x)) return -1;
      o->max_frame = (uint32_t)x;
      i++;
    } else if (strcmp(a, "--frame-timeout") == 0) {
      if (parse_number(a, v, 0.01, 86400, &o->frame_timeout_s)) return -1;
      i++;
    } else if (strcmp(a, "--time-limit") == 0) {
      if (parse_number(a, v, 1, 86400, &o->time_limit_s)) return -1;
      i++;
    } else {
      fprintf(stderr, "neuroc-agent: unknown or incomplete option '%s'\n", a);
      usage(stderr);
      return -1;
    }
  }
  if (o->stdio == !!o->listen) {
    fprintf(stderr, "neuroc-agent: give exactly one of --stdio and --listen\n");
    usage(stderr);
    return -1;
  }
  return 0;
}

int main(int argc, char **argv) {
  agent_opts o = {0};
  o.max_bytes = NC_MEASURE_MAX_BYTES_DEFAULT;
  o.max_frame = NC_FRAME_MAX_DEFAULT;
  o.frame_timeout_s = 10;
  o.time_limit_s = 60;
  if (parse_args(argc, argv, &o)) return 2;
  g_quiet = o.quiet;
  signal(SIGPIPE, SIG_IGN); /* a vanished client is a write error, not a death */

  static char fingerprint[2048], isas[1024];
  nc_target_fingerprint(fingerprint, sizeof fingerprint);
  nc_supported_isas(isas, sizeof isas);
  measure_ctx mctx = {&o, {-1, -1, -1}};
  nc_agent_config cfg = {NEUROC_VERSION, fingerprint, isas, o.max_bytes, o.max_frame,
                         isolated_measure, &mctx};
  logf_("%s, library %s, ISAs: %s", NEUROC_VERSION, nc_runtime_version(), isas);
  if (!o.stdio) return serve_tcp(&cfg, &o, &mctx);

  /* Frames only on stdout: replies go to a private copy of it and fd 1
   * becomes stderr, so a stray printf cannot corrupt the stream. */
  int out_fd = dup(1);
  if (out_fd < 0 || dup2(2, 1) < 0) {
    fprintf(stderr, "neuroc-agent: cannot set up stdout: %s\n", strerror(errno));
    return 1;
  }
  mctx.close_fds[0] = 0;
  mctx.close_fds[1] = out_fd;
  serve(&cfg, &o, 0, out_fd);
  close(out_fd);
  return 0;
}
