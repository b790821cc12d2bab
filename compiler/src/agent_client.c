/* The agent client: a cost source that measures on the target through
 * neuroc-agent (protocol and transports: docs/agent.md; tcp with a command
 * that starts the agent, e.g. firmware under qemu, and serial devices:
 * docs/mcu.md). Every wait has a deadline, so a hung or dead agent becomes
 * an error message, not a hung compiler. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "posix_io.h"
#include "agent_client.h"
#include "frame.h"
#include "neuroc_agent.pb-c.h"

#ifndef NEUROC_VERSION
#define NEUROC_VERSION "0.1.0"
#endif

typedef struct agent_ctx {
  nc_cost_head head;
  nc_cost_cache *cache;
  int rfd, wfd;        /* the same socket for tcp */
  pid_t pid;           /* stdio, launched tcp: the spawned shell / agent (its process group) */
  int launched;        /* tcp with `command`: we started the agent (qemu) ourselves */
  char *where;         /* "agent 'CMD'" or "agent at ADDR", for messages */
  const char *spec;    /* target spec path, for messages */
  double timeout_s;
  nc_measure_opts opts;
  uint64_t next_id;
  nc_bytes in;         /* received bytes not yet consumed */
  int dead;            /* the connection is gone: every measure fails */
  char *fingerprint, *library_version;
  /* -j (nc_cost_set_jobs): `jobs` agents measure at once, this one and
   * workers[0..jobs-2], each its own process started like this one (started
   * on the first nc_cost_prefetch). Their results wait in `prefetched` until
   * measure() asks for them. */
  const nc_target *target;
  int jobs, n_workers;
  nc_cost_source **workers;
  nc_cost_cache *prefetched;
} agent_ctx;

typedef Neuroc__Agent__Reply Reply;

/* ---------------- transports ---------------- */

static void set_cloexec(int fd) { fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC); }

/* Directory of the spec file ("." when it has none). */
static char *spec_dir(const char *path) {
  char *d = nc_xstrdup(path ? path : ".");
  char *slash = strrchr(d, '/');
  if (!slash) strcpy(d, ".");
  else if (slash == d) d[1] = 0;
  else *slash = 0;
  return d;
}

static int spawn_stdio(agent_ctx *c, const nc_target *t) {
  int to[2], from[2];
  if (pipe(to)) return nc_fail("%s: pipe: %s", c->where, strerror(errno));
  if (pipe(from)) {
    close(to[0]);
    close(to[1]);
    return nc_fail("%s: pipe: %s", c->where, strerror(errno));
  }
  char *dir = spec_dir(t->path);
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    free(dir);
    close(to[0]); close(to[1]); close(from[0]); close(from[1]);
    return nc_fail("%s: fork: %s", c->where, strerror(errno));
  }
  if (pid == 0) {
    /* own process group: a timeout kills the wrapper and the agent together */
    setpgid(0, 0);
    dup2(to[0], 0);
    dup2(from[1], 1);
    close(to[0]); close(to[1]); close(from[0]); close(from[1]);
    if (chdir(dir)) {
      fprintf(stderr, "neuroc: cannot enter %s to start the agent: %s\n", dir, strerror(errno));
      _exit(127);
    }
    execl("/bin/sh", "sh", "-c", t->agent_command, (char *)NULL);
    _exit(127);
  }
  free(dir);
  close(to[0]);
  close(from[1]);
  c->pid = pid;
  c->wfd = to[1];
  c->rfd = from[0];
  set_cloexec(c->wfd);
  set_cloexec(c->rfd);
  return 0;
}

/* One connection attempt with a deadline (a firewalled port must not hang
 * the compiler): 0 connected, -1 failed with a message, or the errno of a
 * refused connection (left to the caller: retry or report). */
static int connect_tcp_once(agent_ctx *c, const nc_target *t, const char *addr) {
  const char *colon = strrchr(addr, ':');
  if (!colon || !colon[1])
    return nc_fail("%s: agent address '%s' must be HOST:PORT", t->path, addr);
  char host[256];
  size_t hl = (size_t)(colon - addr);
  if (hl >= sizeof host) hl = sizeof host - 1;
  memcpy(host, addr, hl);
  host[hl] = 0;
  if (host[0] == '[' && hl >= 2 && host[hl - 1] == ']') {
    memmove(host, host + 1, hl - 2);
    host[hl - 2] = 0;
  }
  struct addrinfo hints, *ai = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  int gr = getaddrinfo(host, colon + 1, &hints, &ai);
  if (gr) return nc_fail("%s: cannot resolve '%s': %s", c->where, addr, gai_strerror(gr));
  int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
  if (fd < 0) {
    freeaddrinfo(ai);
    return nc_fail("%s: socket: %s", c->where, strerror(errno));
  }
  set_cloexec(fd);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
  freeaddrinfo(ai);
  int err = rc ? errno : 0;
  if (rc && errno == EINPROGRESS) {
    struct pollfd pf = {fd, POLLOUT, 0};
    int pr = poll(&pf, 1, (int)(c->timeout_s * 1000));
    socklen_t el = sizeof err;
    if (pr == 0) err = ETIMEDOUT;
    else if (pr < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el)) err = errno;
  }
  if (err) {
    close(fd);
    return err > 0 ? err : EIO;
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  c->rfd = c->wfd = fd;
  return 0;
}

static int connect_tcp(agent_ctx *c, const nc_target *t, const char *addr) {
  int err = connect_tcp_once(c, t, addr);
  if (err <= 0) return err;
  const char *colon = strrchr(addr, ':');
  return nc_fail("%s: cannot connect: %s (is `neuroc-agent --listen %s` running?)", c->where,
                 strerror(err), colon + 1);
}

/* ---------------- tcp with `command`: an agent we start (qemu) ---------------- */

/* `s` with every "{port}" replaced by port. */
static char *with_port(const char *s, int port) {
  char num[16];
  snprintf(num, sizeof num, "%d", port);
  size_t n = 0;
  for (const char *p = s; (p = strstr(p, "{port}")) != NULL; p += 6) n++;
  char *out = nc_xmalloc(strlen(s) + n * strlen(num) + 1), *o = out;
  for (const char *p = s;;) {
    const char *q = strstr(p, "{port}");
    size_t k = q ? (size_t)(q - p) : strlen(p);
    memcpy(o, p, k);
    o += k;
    if (!q) break;
    memcpy(o, num, strlen(num));
    o += strlen(num);
    p = q + 6;
  }
  *o = 0;
  return out;
}

/* A free loopback port for "{port}" (the kernel's choice; released at once,
 * so the agent can bind it a moment later). */
static int free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t al = sizeof a;
  int port = -1;
  if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
      getsockname(fd, (struct sockaddr *)&a, &al) == 0)
    port = ntohs(a.sin_port);
  close(fd);
  return port;
}

/* Starts `command` (in the spec's directory, its own process group, stdin
 * from /dev/null, stdout joined to stderr: the protocol runs over TCP). */
static int spawn_background(agent_ctx *c, const nc_target *t, const char *command) {
  char *dir = spec_dir(t->path);
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    free(dir);
    return nc_fail("%s: fork: %s", c->where, strerror(errno));
  }
  if (pid == 0) {
    setpgid(0, 0);
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0) dup2(null, 0);
    dup2(2, 1);
    if (chdir(dir)) {
      fprintf(stderr, "neuroc: cannot enter %s to start the agent: %s\n", dir, strerror(errno));
      _exit(127);
    }
    execl("/bin/sh", "sh", "-c", command, (char *)NULL);
    _exit(127);
  }
  free(dir);
  setpgid(pid, pid); /* also here: no race with a kill of the group */
  c->pid = pid;
  c->launched = 1;
  return 0;
}

static int agent_gone(agent_ctx *c, const char *doing);

/* ---------------- serial: a board's UART ---------------- */

static int baud_code(long long baud, speed_t *code) {
  static const struct { long long baud; speed_t code; } speeds[] = {
      {9600, B9600}, {19200, B19200}, {38400, B38400}, {57600, B57600}, {115200, B115200},
      {230400, B230400}, {460800, B460800}, {921600, B921600}};
  for (size_t i = 0; i < sizeof speeds / sizeof speeds[0]; i++)
    if (speeds[i].baud == baud) {
      *code = speeds[i].code;
      return 0;
    }
  return -1;
}

/* Opens the device raw (8N1, no flow control, no echo, no line editing) at
 * `baud` and drops what the board sent before (a boot banner). */
static int open_serial(agent_ctx *c, const nc_target *t) {
  speed_t speed;
  if (baud_code(t->agent_baud, &speed))
    return nc_fail("%s: baud %lld is not one of 9600 19200 38400 57600 115200 230400 460800 "
                   "921600 (agent: baud in %s)", c->where, t->agent_baud, t->path);
  int fd = open(t->agent_device, O_RDWR | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return nc_fail("%s: cannot open: %s", c->where, strerror(errno));
  set_cloexec(fd);
  struct termios tio;
  if (tcgetattr(fd, &tio)) {
    int e = errno;
    close(fd);
    return nc_fail("%s: not a serial device: %s", c->where, strerror(e));
  }
  tio.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON |
                             IXOFF);
  tio.c_oflag &= ~(tcflag_t)OPOST;
  tio.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
  tio.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | CSTOPB);
  tio.c_cflag |= CS8 | CLOCAL | CREAD;
  tio.c_cc[VMIN] = 1;
  tio.c_cc[VTIME] = 0;
  if (cfsetispeed(&tio, speed) || cfsetospeed(&tio, speed) || tcsetattr(fd, TCSANOW, &tio)) {
    int e = errno;
    close(fd);
    return nc_fail("%s: cannot set %lld baud raw mode: %s", c->where, t->agent_baud, strerror(e));
  }
  tcflush(fd, TCIOFLUSH);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  c->rfd = c->wfd = fd;
  return 0;
}

/* Connects to the agent we started, retrying while it comes up (qemu opens
 * its serial port's socket a moment after it starts), until timeout_s. */
static int connect_launched(agent_ctx *c, const nc_target *t, const char *addr) {
  double deadline = nc_now_seconds() + c->timeout_s;
  for (;;) {
    int err = connect_tcp_once(c, t, addr);
    if (err <= 0) return err;
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0 || si.si_pid != 0)
      return agent_gone(c, "starting"); /* it ended before listening: say how */
    if (nc_now_seconds() > deadline)
      return nc_fail("%s: cannot connect within %g s: %s (agent: timeout_s in %s)", c->where,
                     c->timeout_s, strerror(err), c->spec);
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
}

/* ---------------- the connection ends ---------------- */

/* Why the agent is gone, for a message ending in "while DOING". */
static int agent_gone(agent_ctx *c, const char *doing) {
  c->dead = 1;
  if (c->pid > 0) {
    int ws = 0;
    pid_t r = 0;
    /* the pipe closes a moment before the process is reapable */
    for (int i = 0; i < 200 && (r = waitpid(c->pid, &ws, WNOHANG)) == 0; i++) {
      struct timespec ts = {0, 10 * 1000 * 1000};
      nanosleep(&ts, NULL);
    }
    if (r == c->pid) {
      c->pid = 0;
      if (WIFSIGNALED(ws))
        return nc_fail("%s was killed by signal %d (%s) while %s", c->where, WTERMSIG(ws),
                       strsignal(WTERMSIG(ws)), doing);
      if (WIFEXITED(ws) && WEXITSTATUS(ws) == 127)
        return nc_fail("%s could not be started (exit status 127: command not found?) while %s",
                       c->where, doing);
      return nc_fail("%s exited with status %d while %s", c->where,
                     WIFEXITED(ws) ? WEXITSTATUS(ws) : -1, doing);
    }
  }
  return nc_fail("%s closed the connection while %s", c->where, doing);
}

static void kill_agent(agent_ctx *c) {
  if (c->pid <= 0) return;
  kill(-c->pid, SIGKILL);
  kill(c->pid, SIGKILL);
  while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR) {
  }
  c->pid = 0;
}

/* ---------------- frames ---------------- */

/* Write everything; SIGPIPE is held back so a dead agent is an error return. */
static int write_all_nosigpipe(int fd, const uint8_t *p, size_t n) {
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigprocmask(SIG_BLOCK, &pipe_set, &old);
  int rc = nc_write_all(fd, p, n);
  if (rc) {
    /* swallow the SIGPIPE this write raised, if it did */
    struct timespec zero = {0, 0};
    while (sigtimedwait(&pipe_set, NULL, &zero) > 0) {
    }
  }
  sigprocmask(SIG_SETMASK, &old, NULL);
  return rc;
}

static int send_request(agent_ctx *c, Neuroc__Agent__Request *q, const char *doing) {
  size_t n = neuroc__agent__request__get_packed_size(q);
  uint8_t *buf = nc_xmalloc(NC_FRAME_HEADER + n);
  nc_frame_header(buf, (uint32_t)n);
  neuroc__agent__request__pack(q, buf + NC_FRAME_HEADER);
  int rc = write_all_nosigpipe(c->wfd, buf, NC_FRAME_HEADER + n);
  free(buf);
  return rc ? agent_gone(c, doing) : 0;
}

/* Printable start of bytes that are not a frame, for the message. */
static void show_bytes(const uint8_t *p, size_t n, char *out, size_t cap) {
  size_t k = 0;
  for (size_t i = 0; i < n && i < 40 && k + 5 < cap; i++)
    k += (size_t)snprintf(out + k, cap - k, p[i] >= 32 && p[i] < 127 ? "%c" : "\\x%02x", p[i]);
  out[k] = 0;
}

/* Wait for the reply to request `id`; NULL with a message on failure. */
static Reply *recv_reply(agent_ctx *c, uint64_t id, const char *doing) {
  double deadline = nc_now_seconds() + c->timeout_s;
  for (;;) {
    nc_frame f = nc_frame_next(c->in.data, c->in.len, NC_FRAME_MAX_DEFAULT);
    if (f.status == NC_FRAME_GARBAGE || f.status == NC_FRAME_OVERSIZED) {
      char shown[256];
      show_bytes(c->in.data, c->in.len, shown, sizeof shown);
      c->dead = 1;
      kill_agent(c);
      nc_fail("%s answered with bytes that are not a protocol frame while %s: '%s' (is "
              "something else writing to its output, e.g. a login banner?)",
              c->where, doing, shown);
      return NULL;
    }
    if (f.status == NC_FRAME_OK) {
      Reply *r = neuroc__agent__reply__unpack(NULL, f.payload_len, c->in.data + NC_FRAME_HEADER);
      nc_bytes_drop_front(&c->in, f.skip);
      if (!r) {
        c->dead = 1;
        nc_fail("%s sent a frame that is not a Reply message while %s", c->where, doing);
        return NULL;
      }
      if (r->id == id || (r->id == 0 && r->body_case == NEUROC__AGENT__REPLY__BODY_ERROR))
        return r;
      neuroc__agent__reply__free_unpacked(r, NULL); /* a stale reply: skip it */
      continue;
    }
    double left = deadline - nc_now_seconds();
    if (left <= 0) {
      kill_agent(c);
      c->dead = 1;
      nc_fail("%s did not answer within %g s while %s (agent: timeout_s in %s)", c->where,
              c->timeout_s, doing, c->spec);
      return NULL;
    }
    struct pollfd pf = {c->rfd, POLLIN, 0};
    int pr = poll(&pf, 1, left > 1e6 ? 1000000000 : (int)(left * 1000) + 1);
    if (pr < 0 && errno == EINTR) continue;
    if (pr <= 0) continue;
    if (nc_bytes_reserve(&c->in, 1 << 16)) {
      nc_fail("%s: out of memory reading a reply", c->where);
      return NULL;
    }
    ssize_t k = read(c->rfd, c->in.data + c->in.len, 1 << 16);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) {
      agent_gone(c, doing);
      return NULL;
    }
    c->in.len += (size_t)k;
  }
}

static int reply_error(agent_ctx *c, const Reply *r, const char *doing) {
  const Neuroc__Agent__Error *e = r->error;
  const ProtobufCEnumValue *v =
      protobuf_c_enum_descriptor_get_value(&neuroc__agent__error_code__descriptor, e->code);
  return nc_fail("%s refused while %s: %s (%s)", c->where, doing, e->message,
                 v ? v->name : "unknown code");
}

/* ---------------- handshake ---------------- */

static int handshake(agent_ctx *c) {
  const char *doing = "handshaking";
  Neuroc__Agent__Hello h = NEUROC__AGENT__HELLO__INIT;
  h.protocol_version = NC_AGENT_PROTOCOL_VERSION;
  h.client = "neuroc " NEUROC_VERSION;
  Neuroc__Agent__Request q = NEUROC__AGENT__REQUEST__INIT;
  q.id = ++c->next_id;
  q.body_case = NEUROC__AGENT__REQUEST__BODY_HELLO;
  q.hello = &h;
  if (send_request(c, &q, doing)) return -1;
  Reply *r = recv_reply(c, q.id, doing);
  if (!r) return -1;
  int rc = 0;
  if (r->body_case == NEUROC__AGENT__REPLY__BODY_ERROR) {
    rc = reply_error(c, r, doing);
  } else if (r->body_case != NEUROC__AGENT__REPLY__BODY_HELLO) {
    rc = nc_fail("%s answered Hello with something else", c->where);
  } else if (r->hello->protocol_version != NC_AGENT_PROTOCOL_VERSION) {
    rc = nc_fail("%s speaks protocol version %u, this compiler version %u", c->where,
                 (unsigned)r->hello->protocol_version, NC_AGENT_PROTOCOL_VERSION);
  } else if (strcmp(r->hello->library_version, nc_runtime_version()) != 0) {
    rc = nc_fail("%s runs routine library %s but this compiler emits code for %s: build the "
                 "agent from the same source as the compiler",
                 c->where, r->hello->library_version, nc_runtime_version());
  } else {
    c->fingerprint = nc_xstrdup(r->hello->fingerprint);
    c->library_version = nc_xstrdup(r->hello->library_version);
  }
  neuroc__agent__reply__free_unpacked(r, NULL);
  return rc;
}

/* ---------------- measuring ---------------- */

static int fill_tdescs(const nc_tdesc *d, int n, Neuroc__Agent__TensorDesc *w,
                       Neuroc__Agent__TensorDesc **wp) {
  for (int i = 0; i < n; i++) {
    neuroc__agent__tensor_desc__init(&w[i]);
    w[i].dtype = d[i].dtype;
    w[i].n_dims = (size_t)(d[i].ndim > 0 ? d[i].ndim : 0);
    w[i].dims = (int64_t *)d[i].dims;
    w[i].scale = d[i].scale;
    w[i].zero_point = d[i].zero_point;
    wp[i] = &w[i];
  }
  return 0;
}

/* "measuring DESCRIPTOR", for messages; returns doing. */
static char *measuring_what(const nc_routine *r, const nc_args *a, char *desc, size_t desc_cap,
                            char *doing, size_t doing_cap) {
  nc_routine_concrete_descriptor(r, nc_measure_key_dtype(a), desc, desc_cap);
  snprintf(doing, doing_cap, "measuring %s", desc);
  return doing;
}

/* Send a Measure request; *id is what its reply will carry. */
static int send_measure(agent_ctx *c, const nc_routine *r, const nc_args *a,
                        const void *const *consts, uint64_t *id) {
  char desc[160], doing[256];
  measuring_what(r, a, desc, sizeof desc, doing, sizeof doing);
  if (c->dead) return nc_fail("%s is gone (an earlier error): cannot go on %s", c->where, doing);
  if (a->n_in > NC_MEASURE_MAX_IN || a->n_out > NC_MEASURE_MAX_OUT)
    return nc_fail("%s: %d inputs / %d outputs is over the protocol limits", desc, (int)a->n_in,
                   (int)a->n_out);
  Neuroc__Agent__TensorDesc win[NC_MEASURE_MAX_IN], wout[NC_MEASURE_MAX_OUT];
  Neuroc__Agent__TensorDesc *pin[NC_MEASURE_MAX_IN], *pout[NC_MEASURE_MAX_OUT];
  protobuf_c_boolean cst[NC_MEASURE_MAX_IN];
  fill_tdescs(a->in, a->n_in, win, pin);
  fill_tdescs(a->out, a->n_out, wout, pout);
  for (int i = 0; i < a->n_in; i++) cst[i] = consts && consts[i];
  Neuroc__Agent__Measure mq = NEUROC__AGENT__MEASURE__INIT;
  mq.routine = desc;
  mq.n_inputs = (size_t)a->n_in;
  mq.inputs = pin;
  mq.n_outputs = (size_t)a->n_out;
  mq.outputs = pout;
  mq.n_ia = (size_t)a->n_ia;
  mq.ia = (int64_t *)a->ia;
  mq.n_fa = (size_t)a->n_fa;
  mq.fa = (double *)a->fa;
  mq.n_constant = (size_t)a->n_in;
  mq.constant = cst;
  mq.min_ms = c->opts.min_ms;
  mq.warmup = (uint32_t)c->opts.warmup;
  Neuroc__Agent__Request q = NEUROC__AGENT__REQUEST__INIT;
  q.id = ++c->next_id;
  q.body_case = NEUROC__AGENT__REQUEST__BODY_MEASURE;
  q.measure = &mq;
  *id = q.id;
  return send_request(c, &q, doing);
}

/* Wait for the reply to Measure request id. */
static int recv_measure(agent_ctx *c, const nc_routine *r, const nc_args *a, uint64_t id,
                        nc_measurement *m) {
  char desc[160], doing[256];
  measuring_what(r, a, desc, sizeof desc, doing, sizeof doing);
  Reply *rep = recv_reply(c, id, doing);
  if (!rep) return -1;
  int rc = 0;
  if (rep->body_case == NEUROC__AGENT__REPLY__BODY_ERROR) {
    rc = reply_error(c, rep, doing);
  } else if (rep->body_case != NEUROC__AGENT__REPLY__BODY_MEASURE) {
    rc = nc_fail("%s answered Measure with something else while %s", c->where, doing);
  } else {
    memset(m, 0, sizeof *m);
    m->median_ms = rep->measure->median_ms;
    m->spread = rep->measure->spread;
    m->samples = (int)rep->measure->samples;
    m->remeasured = rep->measure->remeasured;
    m->first_spread = rep->measure->first_spread;
  }
  neuroc__agent__reply__free_unpacked(rep, NULL);
  return rc;
}

static int remote_measure(agent_ctx *c, const nc_routine *r, const nc_args *a,
                          const void *const *consts, nc_measurement *m) {
  uint64_t id;
  return send_measure(c, r, a, consts, &id) || recv_measure(c, r, a, id, m) ? -1 : 0;
}

static int agent_measure(nc_cost_source *s, const nc_routine *r, const nc_args *a,
                         const void *const *consts, double *ms, double *spread) {
  agent_ctx *c = s->ctx;
  char *key = nc_cost_key(r, a);
  nc_measurement m;
  if (nc_cost_cache_get(c->cache, key, &m)) {
    free(key);
    s->cached++;
  } else if (c->prefetched && nc_cost_cache_get(c->prefetched, key, &m)) {
    nc_cost_cache_put(c->cache, key, &m); /* measured by a -j round: counts as measured here */
    s->measured++;
    c->head.remeasured += m.remeasured;
  } else {
    if (remote_measure(c, r, a, consts, &m)) {
      free(key);
      return -1;
    }
    nc_cost_cache_put(c->cache, key, &m);
    s->measured++;
    c->head.remeasured += m.remeasured;
  }
  c->head.last = m;
  *ms = m.median_ms;
  *spread = m.spread;
  return 0;
}

/* ---------------- lifetime ---------------- */

/* Ask a live agent to end, then make sure the spawned process is reaped. */
static void close_agent(agent_ctx *c) {
  if (!c->dead && c->wfd >= 0) {
    Neuroc__Agent__Shutdown sd = NEUROC__AGENT__SHUTDOWN__INIT;
    Neuroc__Agent__Request q = NEUROC__AGENT__REQUEST__INIT;
    q.id = ++c->next_id;
    q.body_case = NEUROC__AGENT__REQUEST__BODY_SHUTDOWN;
    q.shutdown = &sd;
    double saved = c->timeout_s;
    c->timeout_s = 2;
    if (send_request(c, &q, "shutting down") == 0) {
      Reply *r = recv_reply(c, q.id, "shutting down");
      if (r) neuroc__agent__reply__free_unpacked(r, NULL);
    }
    c->timeout_s = saved;
  }
  if (c->wfd >= 0 && c->wfd != c->rfd) close(c->wfd);
  if (c->rfd >= 0) close(c->rfd);
  c->rfd = c->wfd = -1;
  /* an agent we launched (qemu) serves the next client after Shutdown
   * instead of exiting: end it now */
  if (c->launched) kill_agent(c);
  if (c->pid > 0) {
    int ws;
    pid_t r = 0;
    for (int i = 0; i < 200 && (r = waitpid(c->pid, &ws, WNOHANG)) == 0; i++) {
      struct timespec ts = {0, 10 * 1000 * 1000};
      nanosleep(&ts, NULL);
    }
    if (r == c->pid) c->pid = 0;
    else kill_agent(c);
  }
}

static void unregister_agent(const nc_cost_source *s);

static void agent_destroy(nc_cost_source *s) {
  agent_ctx *c = s->ctx;
  unregister_agent(s);
  for (int i = 0; i < c->n_workers; i++) nc_cost_free(c->workers[i]);
  free(c->workers);
  if (c->prefetched) nc_cost_cache_free(c->prefetched);
  close_agent(c);
  nc_cost_cache_free(c->cache);
  nc_bytes_free(&c->in);
  free(c->where);
  free(c->fingerprint);
  free(c->library_version);
  free(c);
  free(s);
}

/* Connects one agent (nc_cost_agent_new without the registry). */
static nc_cost_source *agent_open(const nc_target *t) {
  if (!t || !t->agent_transport) {
    nc_fail("no agent configured");
    return NULL;
  }
  int serial = strcmp(t->agent_transport, "serial") == 0;
  if (serial && !(t->agent_device && t->agent_device[0])) {
    nc_fail("%s: agent transport 'serial' needs 'device'", t->path);
    return NULL;
  }
  int tcp = strcmp(t->agent_transport, "tcp") == 0;
  /* tcp with a command: start the agent (e.g. qemu-system-arm with the
   * firmware's UART on a TCP socket), then connect to `address` */
  int launch = tcp && t->agent_command && t->agent_command[0];
  if (!tcp && !serial && strcmp(t->agent_transport, "stdio") != 0) {
    nc_fail("%s: agent transport '%s' is not an agent (stdio, tcp or serial)", t->path,
            t->agent_transport);
    return NULL;
  }
  if (!serial && !(tcp ? t->agent_address : t->agent_command)) {
    nc_fail("%s: agent transport '%s' needs '%s'", t->path, t->agent_transport,
            tcp ? "address" : "command");
    return NULL;
  }
  agent_ctx *c = nc_xcalloc(1, sizeof *c);
  c->head.destroy = agent_destroy;
  c->target = t;
  c->jobs = 1;
  c->rfd = c->wfd = -1;
  c->spec = t->path;
  c->timeout_s = t->agent_timeout_s > 0 ? t->agent_timeout_s : 120;
  c->opts.min_ms = t->profile_min_ms;
  c->opts.warmup = t->profile_warmup;
  /* "{port}" in address and command: a free loopback port, so parallel
   * runs (ctest -j) do not collide */
  int port = strstr(t->agent_address ? t->agent_address : "", "{port}") ||
                     (launch && strstr(t->agent_command, "{port}"))
                 ? free_port()
                 : 0;
  char *addr = tcp ? with_port(t->agent_address, port) : NULL;
  char *cmd = launch ? with_port(t->agent_command, port) : NULL;
  size_t wl = strlen(serial ? t->agent_device : tcp ? addr : t->agent_command) +
              (cmd ? strlen(cmd) : 0) + 48;
  c->where = nc_xmalloc(wl);
  if (serial) snprintf(c->where, wl, "agent on %s", t->agent_device);
  else if (launch) snprintf(c->where, wl, "agent at %s (started by '%s')", addr, cmd);
  else snprintf(c->where, wl, tcp ? "agent at %s" : "agent '%s'", tcp ? addr : t->agent_command);
  nc_cost_source *s = nc_xcalloc(1, sizeof *s);
  s->ctx = c;
  s->name = serial ? "agent-serial" : tcp ? "agent-tcp" : "agent-stdio";
  s->measure = agent_measure;
  c->cache = nc_cost_cache_new();
  int rc = port < 0 ? nc_fail("%s: no free loopback port for {port}", t->path)
           : serial ? open_serial(c, t)
           : launch ? (spawn_background(c, t, cmd) || connect_launched(c, t, addr))
           : tcp    ? connect_tcp(c, t, addr)
                    : spawn_stdio(c, t);
  free(addr);
  free(cmd);
  if (rc || handshake(c)) {
    c->dead = 1;
    agent_destroy(s);
    return NULL;
  }
  s->fingerprint = c->fingerprint;
  s->library_version = c->library_version;
  return s;
}

/* ---------------- -j: several agents measuring at once ---------------- */

/* The agent sources open in this process, so that nc_cost_set_jobs and
 * nc_cost_prefetch can find the agent behind a decorator (the profile
 * database), which passes its inner source's fingerprint string on. */
enum { MAX_LIVE_AGENTS = 64 };
static nc_cost_source *live_agents[MAX_LIVE_AGENTS];

static void register_agent(nc_cost_source *s) {
  for (int i = 0; i < MAX_LIVE_AGENTS; i++)
    if (!live_agents[i]) {
      live_agents[i] = s;
      return;
    }
}

static void unregister_agent(const nc_cost_source *s) {
  for (int i = 0; i < MAX_LIVE_AGENTS; i++)
    if (live_agents[i] == s) live_agents[i] = NULL;
}

nc_cost_source *nc_cost_agent_new(const nc_target *t) {
  nc_cost_source *s = agent_open(t);
  if (s) register_agent(s);
  return s;
}

/* The agent that measures for s (s itself or the source it decorates), or NULL. */
static agent_ctx *agent_of(const nc_cost_source *s) {
  if (!s) return NULL;
  if (s->measure == agent_measure) return s->ctx;
  for (int i = 0; i < MAX_LIVE_AGENTS; i++)
    if (live_agents[i] && s->fingerprint && s->fingerprint == live_agents[i]->fingerprint)
      return live_agents[i]->ctx;
  return NULL;
}

int nc_cost_check_jobs(const nc_target *t, int jobs) {
  if (jobs <= 1) return 0;
  const char *spec = t && t->path ? t->path : "the target spec";
  if (!t || !t->agent_transport || strcmp(t->agent_transport, "local") == 0)
    return nc_fail("-j %d: %s measures on this machine (local profiler); routines timed at "
                   "once would slow each other down and skew every time, so -j needs an agent "
                   "target that allows it (agent: parallel, docs/agent.md)",
                   jobs, spec);
  int own_agent = t->agent_command && t->agent_command[0] &&
                  (strcmp(t->agent_transport, "stdio") == 0 || strcmp(t->agent_transport, "tcp") == 0);
  if (!own_agent)
    return nc_fail("-j %d: %s: transport '%s' without 'command' reaches one agent; -j needs "
                   "a 'command' that starts an agent per connection (docs/agent.md)",
                   jobs, spec, t->agent_transport);
  if (jobs > t->agent_parallel)
    return nc_fail("-j %d: %s allows at most %lld measuring at once (agent: parallel: %lld); "
                   "set 'parallel' only where measurements do not disturb each other, e.g. "
                   "instruction counts under qemu -icount (docs/agent.md)",
                   jobs, spec, t->agent_parallel, t->agent_parallel);
  return 0;
}

int nc_cost_set_jobs(nc_cost_source *s, const nc_target *t, int jobs) {
  if (nc_cost_check_jobs(t, jobs)) return -1;
  if (jobs <= 1) return 0;
  agent_ctx *c = agent_of(s);
  if (!c) return nc_fail("-j %d: the cost source '%s' is not an agent", jobs, s ? s->name : "none");
  c->jobs = jobs;
  return 0;
}

int nc_cost_jobs(const nc_cost_source *s) {
  const agent_ctx *c = agent_of(s);
  return c ? c->jobs : 1;
}

/* Starts the jobs-1 extra agents; each must be the same target and library. */
static int start_workers(agent_ctx *c) {
  if (c->n_workers == c->jobs - 1) return 0;
  c->workers = nc_xcalloc((size_t)c->jobs, sizeof *c->workers);
  c->prefetched = nc_cost_cache_new();
  while (c->n_workers < c->jobs - 1) {
    nc_cost_source *w = agent_open(c->target);
    if (!w) { /* the agent's own message, with which of the -j agents it was */
      char why[1024];
      snprintf(why, sizeof why, "%s", nc_err_msg());
      nc_err_clear();
      return nc_fail("-j %d: starting agent %d of %d: %s", c->jobs, c->n_workers + 2, c->jobs, why);
    }
    c->workers[c->n_workers++] = w;
    if (strcmp(w->fingerprint, c->fingerprint) || strcmp(w->library_version, c->library_version))
      return nc_fail("-j %d: agent %d reports '%s' (library %s), the first '%s' (library %s): "
                     "they must be the same target", c->jobs, c->n_workers + 1, w->fingerprint,
                     w->library_version, c->fingerprint, c->library_version);
  }
  return 0;
}

/* Agent k of the -j set: 0 is c itself. */
static agent_ctx *agent_k(agent_ctx *c, int k) { return k == 0 ? c : c->workers[k - 1]->ctx; }

/* The first busy agent with a reply (or its end) to read: poll on all of
 * them, at most timeout_s; then the first busy one, whose own deadline
 * turns silence into an error. */
static int wait_any(agent_ctx *c, const int *item_of) {
  struct pollfd pf[256];
  int who[256], n = 0;
  for (int k = 0; k < c->jobs && n < 256; k++) {
    if (item_of[k] < 0) continue;
    agent_ctx *a = agent_k(c, k);
    if (a->in.len > 0) return k; /* bytes already here: a frame may be complete */
    pf[n] = (struct pollfd){a->rfd, POLLIN, 0};
    who[n++] = k;
  }
  if (n == 0) return -1;
  int pr;
  do pr = poll(pf, (nfds_t)n, (int)(c->timeout_s * 1000) + 1);
  while (pr < 0 && errno == EINTR);
  for (int i = 0; pr > 0 && i < n; i++)
    if (pf[i].revents) return who[i];
  return who[0];
}

int nc_cost_prefetch(nc_cost_source *s, int n, const nc_cost_job *jobs) {
  agent_ctx *c = agent_of(s);
  if (!c || c->jobs <= 1 || n <= 0) return 0;
  if (c->dead) return nc_fail("%s is gone (an earlier error)", c->where);
  if (start_workers(c)) return -1;
  /* each agent gets the next pair as soon as it answers the last one, so a
   * slow routine on one does not hold the others up */
  int item_of[256];   /* per agent: the job it measures, -1 = idle */
  uint64_t id_of[256];
  for (int k = 0; k < c->jobs; k++) item_of[k] = -1;
  int next = 0, busy = 0;
  for (;;) {
    for (int k = 0; k < c->jobs && next < n; k++) {
      if (item_of[k] >= 0) continue;
      for (; next < n; next++) { /* skip pairs already known */
        char *key = nc_cost_key(jobs[next].r, jobs[next].a);
        nc_measurement m;
        int known = nc_cost_cache_get(c->cache, key, &m) || nc_cost_cache_get(c->prefetched, key, &m);
        free(key);
        if (!known) break;
      }
      if (next == n) break;
      const nc_cost_job *q = &jobs[next];
      if (send_measure(agent_k(c, k), q->r, q->a, q->consts, &id_of[k])) return -1;
      item_of[k] = next++;
      busy++;
    }
    if (!busy) return 0;
    int k = wait_any(c, item_of);
    if (k < 0) return nc_fail("%s: -j: no agent is measuring", c->where); /* busy > 0: never */
    const nc_cost_job *q = &jobs[item_of[k]];
    nc_measurement m;
    if (recv_measure(agent_k(c, k), q->r, q->a, id_of[k], &m)) return -1;
    nc_cost_cache_put(c->prefetched, nc_cost_key(q->r, q->a), &m);
    item_of[k] = -1;
    busy--;
  }
}
