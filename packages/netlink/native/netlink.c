/*
 * @vectorplane/netlink native addon: only what JavaScript cannot do.
 *  - AF_NETLINK sockets: non-blocking, read by a uv_poll on the libuv loop (one recvmsg per datagram, many
 *    datagrams packed per callback), socket options, group membership, sendmsg of many messages in one
 *    datagram;
 *  - work inside another network namespace on one long-lived thread of ours (setns there, never on the main
 *    thread or a libuv pool thread): open a socket, open a file (sysctls), create a TUN/TAP device, or run one
 *    batch of rtnetlink requests on a throwaway socket there (no socket kept, nothing on the loop);
 *  - named namespace create/delete as iproute2 does (bind mount under /run/netns).
 * Message encoding/decoding lives in TypeScript.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <node_api.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>
#include <uv.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif
#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif

#define CHECK(call)                                                                                    \
  do {                                                                                                 \
    if ((call) != napi_ok) return NULL;                                                                \
  } while (0)

/* ---------- errors ---------- */

static napi_value make_errno_error(napi_env env, int err, const char *what) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_value code, text, error, num;
  napi_create_string_utf8(env, uv_err_name(-err), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, code, text, &error);
  napi_create_int32(env, err, &num);
  napi_set_named_property(env, error, "errno", num);
  napi_value syscall;
  napi_create_string_utf8(env, what, NAPI_AUTO_LENGTH, &syscall);
  napi_set_named_property(env, error, "syscall", syscall);
  return error;
}

static void throw_errno(napi_env env, int err, const char *what) {
  napi_throw(env, make_errno_error(env, err, what));
}

static int get_int(napi_env env, napi_value v, int32_t *out) {
  return napi_get_value_int32(env, v, out) == napi_ok ? 0 : -1;
}

/* Copies a JS string (or null/undefined → empty) into buf; returns -1 when not a string / too long. */
static int get_str(napi_env env, napi_value v, char *buf, size_t size) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_null || t == napi_undefined) {
    buf[0] = 0;
    return 0;
  }
  size_t len;
  if (napi_get_value_string_utf8(env, v, buf, size, &len) != napi_ok) return -1;
  if (len >= size - 1) return -1;
  return 0;
}

/* ---------- helper-thread work (namespace-bound operations) ---------- */

enum op_kind { OP_SOCKET, OP_OPEN, OP_TUN, OP_EXCHANGE, OP_NETNS_ADD, OP_NETNS_DEL };

struct env_data;

typedef struct op {
  enum op_kind kind;
  struct op *next;       /* queue of the namespace thread */
  struct env_data *ed;   /* where its promise is settled (ops of the namespace thread) */
  napi_threadsafe_function tsfn; /* ed's, acquired for this op so that it outlives a closing env */
  char netns[4096]; /* path of the namespace to enter, "" = current */
  char path[4096];  /* OP_OPEN file; OP_NETNS_* mount point */
  int domain, type, protocol; /* OP_SOCKET */
  int flags, mode;            /* OP_OPEN */
  char ifname[IFNAMSIZ];      /* OP_TUN in/out */
  int tun_flags, persist, keep_fd;
  int owner, group; /* -1 = leave */
  uint8_t *wire;      /* OP_EXCHANGE: the requests (one datagram), then what the kernel answered */
  size_t wire_len;
  int acks;           /* OP_EXCHANGE: NLMSG_ERROR messages to wait for */
  int timeout_ms;
  uint8_t *reply;
  size_t reply_len;
  int result_fd;
  int err;
  const char *where;
  napi_deferred deferred;
  napi_async_work work;
} op_t;

/* Frees an op and what it owns. */
static void free_op(op_t *op) {
  free(op->wire);
  free(op->reply);
  free(op);
}

/* Frees an op nobody will settle: the fd it made, if any, is closed too. */
static void discard_op(op_t *op) {
  if (op->result_fd >= 0) close(op->result_fd);
  free_op(op);
}

static int enter_netns(op_t *op) {
  if (!op->netns[0]) return 0;
  int fd = open(op->netns, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    op->where = "open netns";
    return errno;
  }
  if (setns(fd, CLONE_NEWNET) < 0) {
    int e = errno;
    close(fd);
    op->where = "setns";
    return e;
  }
  close(fd);
  return 0;
}

static int do_tun(op_t *op) {
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    op->where = "open /dev/net/tun";
    return errno;
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, op->ifname, IFNAMSIZ);
  ifr.ifr_flags = (short)op->tun_flags;
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    op->where = "TUNSETIFF";
    goto fail;
  }
  strncpy(op->ifname, ifr.ifr_name, IFNAMSIZ - 1);
  op->ifname[IFNAMSIZ - 1] = 0;
  if (op->owner >= 0 && ioctl(fd, TUNSETOWNER, (unsigned long)op->owner) < 0) {
    op->where = "TUNSETOWNER";
    goto fail;
  }
  if (op->group >= 0 && ioctl(fd, TUNSETGROUP, (unsigned long)op->group) < 0) {
    op->where = "TUNSETGROUP";
    goto fail;
  }
  if (op->persist && ioctl(fd, TUNSETPERSIST, 1UL) < 0) {
    op->where = "TUNSETPERSIST";
    goto fail;
  }
  if (op->keep_fd) {
    op->result_fd = fd;
  } else {
    close(fd);
    op->result_fd = -1;
  }
  return 0;
fail: {
  int e = errno;
  close(fd);
  return e;
}
}

/* /run/netns must be a shared mount point so that mounts under it propagate (as `ip netns add`). */
static int prepare_netns_dir(op_t *op, const char *dir) {
  if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
    op->where = "mkdir netns dir";
    return errno;
  }
  for (int tries = 0; tries < 2; tries++) {
    if (mount("", dir, "none", MS_SHARED | MS_REC, NULL) == 0) return 0;
    if (errno != EINVAL || tries) {
      op->where = "mount --make-shared";
      return errno;
    }
    if (mount(dir, dir, "none", MS_BIND | MS_REC, NULL) < 0) {
      op->where = "mount --bind netns dir";
      return errno;
    }
  }
  return 0;
}

static int do_netns_add(op_t *op) {
  char dir[4096];
  strncpy(dir, op->path, sizeof dir - 1);
  dir[sizeof dir - 1] = 0;
  char *slash = strrchr(dir, '/');
  if (slash && slash != dir) {
    *slash = 0;
    int e = prepare_netns_dir(op, dir);
    if (e) return e;
  }
  int fd = open(op->path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (fd < 0) {
    op->where = "create netns file";
    return errno;
  }
  close(fd);
  if (unshare(CLONE_NEWNET) < 0) {
    op->where = "unshare(CLONE_NEWNET)";
    goto fail;
  }
  char self[64];
  snprintf(self, sizeof self, "/proc/self/task/%ld/ns/net", (long)syscall(SYS_gettid));
  if (mount(self, op->path, "none", MS_BIND, NULL) < 0) {
    op->where = "bind mount netns";
    goto fail;
  }
  return 0;
fail: {
  int e = errno;
  unlink(op->path);
  return e;
}
}

static int do_netns_del(op_t *op) {
  if (umount2(op->path, MNT_DETACH) < 0 && errno != EINVAL) {
    op->where = "umount netns";
    return errno;
  }
  if (unlink(op->path) < 0) {
    op->where = "unlink netns";
    return errno;
  }
  return 0;
}

/*
 * OP_EXCHANGE: a throwaway rtnetlink socket in this namespace, the requests sent in one datagram, every answer
 * read until `acks` NLMSG_ERROR messages came (rtnetlink handles requests inside sendmsg, so they are queued by
 * then; the receive timeout only guards against a kernel that does not answer), the socket closed.
 */
static int do_exchange(op_t *op) {
  uint8_t *buf = NULL;
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) {
    op->where = "socket";
    return errno;
  }
  int on = 1, rcvbuf = 1 << 20;
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof on);
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof on);
  if (op->acks > 32 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  struct timeval tv = {.tv_sec = op->timeout_ms / 1000, .tv_usec = (op->timeout_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  ssize_t sent;
  do sent = sendto(fd, op->wire, op->wire_len, 0, (struct sockaddr *)&kernel, sizeof kernel);
  while (sent < 0 && errno == EINTR);
  if (sent < 0) {
    op->where = "sendto";
    goto fail;
  }
  size_t cap = 0, len = 0;
  int seen = 0;
  while (seen < op->acks) {
    if (cap - len < 65536) { /* a datagram never exceeds 64 KiB: keep that much free */
      uint8_t *nb = realloc(buf, cap * 2 + 65536);
      if (!nb) {
        errno = ENOMEM;
        op->where = "realloc";
        goto fail;
      }
      buf = nb;
      cap = cap * 2 + 65536;
    }
    struct sockaddr_nl from;
    socklen_t flen = sizeof from;
    ssize_t n = recvfrom(fd, buf + len, cap - len, MSG_TRUNC, (struct sockaddr *)&from, &flen);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) errno = ETIMEDOUT;
      op->where = "recv";
      goto fail;
    }
    if ((size_t)n > cap - len) { /* truncated: cannot happen with 64 KiB kept free */
      errno = EMSGSIZE;
      op->where = "recv";
      goto fail;
    }
    if (from.nl_pid != 0) continue; /* only the kernel talks to us */
    for (size_t off = len; off + sizeof(struct nlmsghdr) <= len + (size_t)n;) {
      struct nlmsghdr *h = (struct nlmsghdr *)(buf + off);
      if (h->nlmsg_len < sizeof(struct nlmsghdr)) break;
      if (h->nlmsg_type == NLMSG_ERROR) seen++;
      off += NLMSG_ALIGN(h->nlmsg_len);
    }
    len += NLMSG_ALIGN((size_t)n);
  }
  close(fd);
  op->reply = buf;
  op->reply_len = len;
  return 0;
fail: {
  int e = errno;
  free(buf);
  close(fd);
  return e;
}
}

/* The body of a socket, open, tun or exchange op, in whatever namespace this thread is in now. */
static void run_op(op_t *op) {
  switch (op->kind) {
  case OP_SOCKET:
    op->result_fd = socket(op->domain, op->type | SOCK_CLOEXEC | SOCK_NONBLOCK, op->protocol);
    if (op->result_fd < 0) {
      op->err = errno;
      op->where = "socket";
    }
    break;
  case OP_OPEN:
    op->result_fd = open(op->path, op->flags | O_CLOEXEC, op->mode);
    if (op->result_fd < 0) {
      op->err = errno;
      op->where = "open";
    }
    break;
  case OP_TUN:
    op->err = do_tun(op);
    break;
  case OP_EXCHANGE:
    op->err = do_exchange(op);
    break;
  default:
    break;
  }
}

/* A fresh thread for one op (namespace create/delete, or when the namespace thread could not start). */
static void *helper_main(void *arg) {
  op_t *op = arg;
  op->result_fd = -1;
  if (op->kind == OP_NETNS_DEL) {
    op->err = do_netns_del(op);
    return NULL;
  }
  if (op->kind == OP_NETNS_ADD) {
    op->err = do_netns_add(op);
    return NULL;
  }
  op->err = enter_netns(op);
  if (op->err) return NULL;
  run_op(op);
  return NULL;
}

/*
 * The namespace thread: one long-lived thread of ours that runs the socket, open, tun and exchange ops one after
 * the other, each in its namespace: it enters the op's namespace, or goes back to the process's own (held open
 * since load) for an op in the current one. Only this thread ever changes namespace, so no libuv pool thread
 * (which also resolves names) ever leaves the process's, and no thread is created per op (creating, entering and
 * ending a thread per socket cost about 0.2 ms of CPU each). Ops come straight from the JavaScript thread and go
 * back to it through a thread-safe function: no libuv pool thread waits on them, so a burst of them never holds
 * up the file system work that shares that pool.
 */
typedef struct env_data {
  napi_threadsafe_function tsfn;
  int pending; /* ops not settled yet: the loop stays alive while there are any */
} env_data_t;

static pthread_mutex_t ns_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ns_work = PTHREAD_COND_INITIALIZER;
static op_t *ns_head, *ns_tail;
static pthread_once_t ns_once = PTHREAD_ONCE_INIT;
static int ns_ready; /* the thread runs and the process's namespace is held */
static int home_fd = -1;

static void *ns_thread_main(void *arg) {
  (void)arg;
  int away = 0;
  for (;;) {
    pthread_mutex_lock(&ns_mu);
    while (!ns_head) pthread_cond_wait(&ns_work, &ns_mu);
    op_t *op = ns_head;
    ns_head = op->next;
    if (!ns_head) ns_tail = NULL;
    pthread_mutex_unlock(&ns_mu);

    op->result_fd = -1;
    if (op->netns[0]) {
      op->err = enter_netns(op);
      away = 1; /* also after a failed setns: the next op in the current namespace goes home first */
    } else if (away) {
      if (setns(home_fd, CLONE_NEWNET) < 0) {
        op->err = errno;
        op->where = "setns back to the process's namespace";
      } else {
        away = 0;
      }
    }
    if (!op->err) run_op(op);
    /* unlimited queue: never blocks; fails only once the env is closing (then nobody waits for it) */
    napi_threadsafe_function tsfn = op->tsfn;
    napi_status st = napi_call_threadsafe_function(tsfn, op, napi_tsfn_nonblocking);
    napi_release_threadsafe_function(tsfn, napi_tsfn_release);
    if (st != napi_ok) discard_op(op);
  }
  return NULL;
}

static void ns_thread_start(void) {
  home_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home_fd < 0) return;
  /* no signal is ever delivered to it */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  pthread_t t;
  if (pthread_create(&t, &attr, ns_thread_main, NULL) == 0) ns_ready = 1;
  pthread_attr_destroy(&attr);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (!ns_ready) {
    close(home_fd);
    home_fd = -1;
  }
}

static void settle_op(napi_env env, op_t *op);

/* On the JavaScript thread: an op the namespace thread finished. */
static void ns_op_done(napi_env env, napi_value js_cb, void *context, void *data) {
  (void)js_cb;
  env_data_t *ed = context;
  op_t *op = data;
  if (!env) { /* the env is going away: nobody takes the fd */
    discard_op(op);
    return;
  }
  settle_op(env, op);
  if (--ed->pending == 0) napi_unref_threadsafe_function(env, ed->tsfn);
  free_op(op);
}

static void env_data_free(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  env_data_t *ed = data;
  napi_release_threadsafe_function(ed->tsfn, napi_tsfn_abort);
  free(ed);
}

/* This env's way back from the namespace thread, made on first use; NULL when it cannot be had. */
static env_data_t *env_data(napi_env env) {
  env_data_t *ed = NULL;
  if (napi_get_instance_data(env, (void **)&ed) == napi_ok && ed) return ed;
  ed = calloc(1, sizeof *ed);
  if (!ed) return NULL;
  napi_value name;
  napi_create_string_utf8(env, "vectorplane:netlink-ns", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, NULL, NULL, ed, ns_op_done, &ed->tsfn) !=
      napi_ok) {
    free(ed);
    return NULL;
  }
  napi_unref_threadsafe_function(env, ed->tsfn);
  if (napi_set_instance_data(env, ed, env_data_free, NULL) != napi_ok) {
    napi_release_threadsafe_function(ed->tsfn, napi_tsfn_abort);
    free(ed);
    return NULL;
  }
  return ed;
}

/* Hands `op` to the namespace thread; 0 when that thread is not available (then a fresh thread runs it). */
static int queue_on_ns_thread(napi_env env, op_t *op) {
  pthread_once(&ns_once, ns_thread_start);
  if (!ns_ready) return 0;
  env_data_t *ed = env_data(env);
  if (!ed) return 0;
  if (napi_acquire_threadsafe_function(ed->tsfn) != napi_ok) return 0;
  op->ed = ed;
  op->tsfn = ed->tsfn;
  if (ed->pending++ == 0) napi_ref_threadsafe_function(env, ed->tsfn);
  pthread_mutex_lock(&ns_mu);
  op->next = NULL;
  if (ns_tail)
    ns_tail->next = op;
  else
    ns_head = op;
  ns_tail = op;
  pthread_cond_signal(&ns_work);
  pthread_mutex_unlock(&ns_mu);
  return 1;
}

/* Runs on a libuv pool thread, which never leaves the process's namespace: starts a fresh thread for the op
 * (namespace create/delete, or any op when the namespace thread is not available) and waits for it. */
static void op_execute(napi_env env, void *data) {
  (void)env;
  op_t *op = data;
  pthread_t t;
  int rc = pthread_create(&t, NULL, helper_main, op);
  if (rc) {
    op->err = rc;
    op->where = "pthread_create";
    return;
  }
  pthread_join(t, NULL);
}

/* Resolves or rejects the promise of a finished op. */
static void settle_op(napi_env env, op_t *op) {
  if (op->err) {
    napi_reject_deferred(env, op->deferred, make_errno_error(env, op->err, op->where ? op->where : "op"));
  } else if (op->kind == OP_TUN) {
    napi_value obj, name, fd;
    napi_create_object(env, &obj);
    napi_create_string_utf8(env, op->ifname, NAPI_AUTO_LENGTH, &name);
    napi_create_int32(env, op->result_fd, &fd);
    napi_set_named_property(env, obj, "name", name);
    napi_set_named_property(env, obj, "fd", fd);
    napi_resolve_deferred(env, op->deferred, obj);
  } else if (op->kind == OP_EXCHANGE) {
    napi_value buf;
    void *dst;
    if (napi_create_buffer_copy(env, op->reply_len, op->reply, &dst, &buf) == napi_ok)
      napi_resolve_deferred(env, op->deferred, buf);
    else
      napi_reject_deferred(env, op->deferred, make_errno_error(env, ENOMEM, "reply buffer"));
  } else if (op->kind == OP_SOCKET || op->kind == OP_OPEN) {
    napi_value fd;
    napi_create_int32(env, op->result_fd, &fd);
    napi_resolve_deferred(env, op->deferred, fd);
  } else {
    napi_value undef;
    napi_get_undefined(env, &undef);
    napi_resolve_deferred(env, op->deferred, undef);
  }
}

static void op_complete(napi_env env, napi_status status, void *data) {
  op_t *op = data;
  if (status != napi_ok && !op->err) {
    op->err = ECANCELED;
    op->where = "async work";
  }
  settle_op(env, op);
  napi_delete_async_work(env, op->work);
  free_op(op);
}

static napi_value queue_op(napi_env env, op_t *op) {
  napi_value promise, name;
  if (napi_create_promise(env, &op->deferred, &promise) != napi_ok) {
    free_op(op);
    return NULL;
  }
  if (op->kind != OP_NETNS_ADD && op->kind != OP_NETNS_DEL && queue_on_ns_thread(env, op)) return promise;
  napi_create_string_utf8(env, "vectorplane:netlink", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, op_execute, op_complete, op, &op->work);
  napi_queue_async_work(env, op->work);
  return promise;
}

static op_t *new_op(enum op_kind kind) {
  op_t *op = calloc(1, sizeof *op);
  if (op) op->kind = kind;
  return op;
}

/* socketIn(netnsPath|null, domain, type, protocol) → Promise<fd> */
static napi_value js_socket_in(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  op_t *op = new_op(OP_SOCKET);
  if (!op || argc < 4 || get_str(env, argv[0], op->netns, sizeof op->netns) || get_int(env, argv[1], &op->domain) ||
      get_int(env, argv[2], &op->type) || get_int(env, argv[3], &op->protocol)) {
    free(op);
    napi_throw_type_error(env, NULL, "socketIn(netns, domain, type, protocol)");
    return NULL;
  }
  return queue_op(env, op);
}

/* openIn(netnsPath|null, path, flags, mode) → Promise<fd> */
static napi_value js_open_in(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  op_t *op = new_op(OP_OPEN);
  if (!op || argc < 4 || get_str(env, argv[0], op->netns, sizeof op->netns) ||
      get_str(env, argv[1], op->path, sizeof op->path) || get_int(env, argv[2], &op->flags) ||
      get_int(env, argv[3], &op->mode)) {
    free(op);
    napi_throw_type_error(env, NULL, "openIn(netns, path, flags, mode)");
    return NULL;
  }
  return queue_op(env, op);
}

/* exchangeIn(netnsPath|'', requests: Uint8Array, acks, timeoutMs) → Promise<Buffer> (every answer, in order) */
static napi_value js_exchange_in(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  op_t *op = new_op(OP_EXCHANGE);
  bool is_ta = false;
  napi_typedarray_type ta_type;
  size_t ta_len = 0;
  void *ta_data = NULL;
  if (op && argc >= 4) napi_is_typedarray(env, argv[1], &is_ta);
  if (is_ta) napi_get_typedarray_info(env, argv[1], &ta_type, &ta_len, &ta_data, NULL, NULL);
  if (!op || argc < 4 || get_str(env, argv[0], op->netns, sizeof op->netns) || !is_ta || ta_type != napi_uint8_array ||
      ta_len < sizeof(struct nlmsghdr) || get_int(env, argv[2], &op->acks) || get_int(env, argv[3], &op->timeout_ms) ||
      op->acks < 1 || op->timeout_ms < 1) {
    free(op);
    napi_throw_type_error(env, NULL, "exchangeIn(netns, requests, acks, timeoutMs)");
    return NULL;
  }
  op->wire = malloc(ta_len);
  if (!op->wire) {
    free(op);
    throw_errno(env, ENOMEM, "exchangeIn");
    return NULL;
  }
  memcpy(op->wire, ta_data, ta_len);
  op->wire_len = ta_len;
  return queue_op(env, op);
}

/* tunCreate(netnsPath|null, name, ifrFlags, persist, owner, group, keepFd) → Promise<{ name, fd }> */
static napi_value js_tun_create(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  op_t *op = new_op(OP_TUN);
  if (!op || argc < 7 || get_str(env, argv[0], op->netns, sizeof op->netns) ||
      get_str(env, argv[1], op->ifname, sizeof op->ifname) || get_int(env, argv[2], &op->tun_flags) ||
      get_int(env, argv[3], &op->persist) || get_int(env, argv[4], &op->owner) ||
      get_int(env, argv[5], &op->group) || get_int(env, argv[6], &op->keep_fd)) {
    free(op);
    napi_throw_type_error(env, NULL, "tunCreate(netns, name, flags, persist, owner, group, keepFd)");
    return NULL;
  }
  return queue_op(env, op);
}

/* netnsAdd(path) / netnsDelete(path) → Promise<void> */
static napi_value netns_op(napi_env env, napi_callback_info info, enum op_kind kind) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  op_t *op = new_op(kind);
  if (!op || argc < 1 || get_str(env, argv[0], op->path, sizeof op->path) || !op->path[0]) {
    free(op);
    napi_throw_type_error(env, NULL, "expected a namespace path");
    return NULL;
  }
  return queue_op(env, op);
}
static napi_value js_netns_add(napi_env env, napi_callback_info info) { return netns_op(env, info, OP_NETNS_ADD); }
static napi_value js_netns_del(napi_env env, napi_callback_info info) { return netns_op(env, info, OP_NETNS_DEL); }

/* closeFd(fd) */
static napi_value js_close_fd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || get_int(env, argv[0], &fd)) {
    napi_throw_type_error(env, NULL, "closeFd(fd)");
    return NULL;
  }
  if (close(fd) < 0) throw_errno(env, errno, "close");
  return NULL;
}

/* ---------- the netlink socket object ---------- */

typedef struct {
  uint32_t off, len, group; /* a run of packed datagrams of one group in the receive buffer */
} run_t;

typedef struct {
  napi_env env;
  int fd;
  uv_poll_t poll;
  int closed;        /* fd closed, polling stopped */
  int handle_closed; /* uv_close callback ran */
  int finalized;     /* JS wrapper collected */
  napi_ref on_data;  /* (datagrams: Buffer[], groups: number[]) => void, or (null, null, errno) */
  napi_async_context ctx;
  uint8_t *buf; /* receive buffer: datagrams of one callback, packed */
  size_t bufsize;
  size_t grow_to;
  run_t *runs; /* RECV_MAX_DATAGRAMS entries */
} nlsock_t;

static void sock_free(nlsock_t *s) {
  free(s->buf);
  free(s->runs);
  free(s);
}

static void sock_poll_closed(uv_handle_t *h) {
  nlsock_t *s = h->data;
  s->handle_closed = 1;
  if (s->finalized) sock_free(s);
}

/* Stops polling, closes the fd, releases JS references; the uv handle is closed asynchronously. */
static void sock_teardown(nlsock_t *s) {
  if (s->closed) return;
  s->closed = 1;
  uv_poll_stop(&s->poll);
  if (s->on_data) napi_delete_reference(s->env, s->on_data);
  s->on_data = NULL;
  if (s->ctx) napi_async_destroy(s->env, s->ctx);
  s->ctx = NULL;
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
  uv_close((uv_handle_t *)&s->poll, sock_poll_closed);
}

static void call_on_data(nlsock_t *s, napi_value *args, size_t n) {
  napi_env env = s->env;
  napi_value cb, recv, result;
  if (!s->on_data || napi_get_reference_value(env, s->on_data, &cb) != napi_ok || !cb) return;
  napi_get_global(env, &recv); /* napi_make_callback needs an object receiver */
  napi_make_callback(env, s->ctx, recv, cb, n, args, &result);
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
    napi_value exc;
    napi_get_and_clear_last_exception(env, &exc);
    napi_fatal_exception(env, exc);
  }
}

/* One readable callback reads until EAGAIN, or this many datagrams, or the buffer runs short of room. */
#define RECV_MAX_DATAGRAMS 4096
/* Every recvmsg offers at least this much room. Unicast rtnetlink datagrams are far smaller (dump skbs are at
 * most 32 KiB unless a dump needs more per message; ACKs are 36 bytes); a bigger one is truncated (the kernel
 * still tells its size with MSG_TRUNC), the buffer grows to fit it, and the loss is reported as EMSGSIZE. */
#define RECV_MIN_SPACE (256 * 1024)

/* Reads whole datagrams with one recvmsg each (no peek), packed one after another (each padded to 4 bytes)
 * in the socket's buffer; consecutive datagrams of the same group (0 = unicast) go to JS as one Buffer, so an
 * ACK storm costs one syscall per ACK and one Buffer per callback. Netlink messages never straddle datagrams
 * and datagrams are 4-aligned, so a packed run parses exactly like the datagrams it holds. */
static void sock_on_readable(uv_poll_t *h, int status, int events) {
  nlsock_t *s = h->data;
  (void)events;
  if (s->closed) return;
  napi_env env = s->env;
  napi_handle_scope hs;
  napi_open_handle_scope(env, &hs);
  /* On EPOLLERR (e.g. sk_err = ENOBUFS after dropped multicast) libuv stops the handle and reports a
   * status; the recv below returns that socket error (clearing it), and polling is re-armed after. */
  int rearm = status < 0;
  uint32_t nruns = 0, count = 0;
  size_t off = 0;
  int err = 0;
  while (count < RECV_MAX_DATAGRAMS && !s->closed && s->bufsize - off >= RECV_MIN_SPACE) {
    struct sockaddr_nl addr;
    char cbuf[CMSG_SPACE(sizeof(struct nl_pktinfo))];
    size_t room = s->bufsize - off;
    struct iovec iov = {s->buf + off, room};
    struct msghdr mh = {&addr, sizeof addr, &iov, 1, cbuf, sizeof cbuf, 0};
    ssize_t n = recvmsg(s->fd, &mh, MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) { /* reported once, then the queue reads on: keep draining it */
        err = ENOBUFS;
        continue;
      }
      if (errno != EAGAIN && errno != EWOULDBLOCK) err = errno;
      break;
    }
    if ((size_t)n > room) {
      /* Lost: grow so that the next one this size fits, deliver what came before, report the loss. */
      size_t ns = s->bufsize;
      while (ns < (size_t)n + RECV_MIN_SPACE) ns *= 2;
      s->grow_to = ns; /* after this callback's runs are copied out */
      err = EMSGSIZE;
      break;
    }
    uint32_t group = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
      if (c->cmsg_level == SOL_NETLINK && c->cmsg_type == NETLINK_PKTINFO) {
        struct nl_pktinfo pi;
        memcpy(&pi, CMSG_DATA(c), sizeof pi);
        group = pi.group;
      }
    }
    if (!group && addr.nl_groups) group = (uint32_t)__builtin_ctz(addr.nl_groups) + 1;
    if (addr.nl_pid != 0) continue; /* only the kernel talks to us */
    size_t padded = ((size_t)n + 3) & ~(size_t)3;
    memset(s->buf + off + n, 0, padded - (size_t)n);
    if (nruns > 0 && s->runs[nruns - 1].group == group) {
      s->runs[nruns - 1].len += (uint32_t)padded;
    } else {
      s->runs[nruns].off = (uint32_t)off;
      s->runs[nruns].len = (uint32_t)padded;
      s->runs[nruns].group = group;
      nruns++;
    }
    off += padded;
    count++;
  }
  if (nruns && !s->closed) {
    napi_value list, groups;
    napi_create_array_with_length(env, nruns, &list);
    napi_create_array_with_length(env, nruns, &groups);
    for (uint32_t i = 0; i < nruns; i++) {
      napi_value b, g;
      void *dst;
      napi_create_buffer_copy(env, s->runs[i].len, s->buf + s->runs[i].off, &dst, &b);
      napi_create_uint32(env, s->runs[i].group, &g);
      napi_set_element(env, list, i, b);
      napi_set_element(env, groups, i, g);
    }
    napi_value args[2] = {list, groups};
    call_on_data(s, args, 2);
  }
  if (s->grow_to > s->bufsize) {
    uint8_t *nb = realloc(s->buf, s->grow_to);
    if (nb) {
      s->buf = nb;
      s->bufsize = s->grow_to;
    }
  }
  s->grow_to = 0;
  if (rearm && !s->closed) uv_poll_start(&s->poll, UV_READABLE, sock_on_readable);
  if (err && !s->closed) {
    napi_value args[3];
    napi_get_null(env, &args[0]);
    napi_get_null(env, &args[1]);
    napi_create_int32(env, err, &args[2]);
    call_on_data(s, args, 3);
  }
  napi_close_handle_scope(env, hs);
}

static void sock_finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  (void)env;
  nlsock_t *s = data;
  s->finalized = 1;
  sock_teardown(s);
  if (s->handle_closed) sock_free(s);
}

static nlsock_t *unwrap(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  void *data = NULL;
  if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok) return NULL;
  if (napi_unwrap(env, self, &data) != napi_ok || !data) {
    napi_throw_error(env, NULL, "not a NetlinkSocket");
    return NULL;
  }
  nlsock_t *s = data;
  if (s->closed) {
    throw_errno(env, EBADF, "socket closed");
    return NULL;
  }
  return s;
}

/* new NetlinkSocket(fd, onData) — takes ownership of fd; binds (portid chosen by the kernel), sets
 * NETLINK_PKTINFO, starts polling (unref'd until ref()). */
static napi_value sock_ctor(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], self;
  CHECK(napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  int32_t fd;
  if (argc < 2 || get_int(env, argv[0], &fd)) {
    napi_throw_type_error(env, NULL, "NetlinkSocket(fd, onData)");
    return NULL;
  }
  nlsock_t *s = calloc(1, sizeof *s);
  s->env = env;
  s->fd = fd;
  s->bufsize = 2 * RECV_MIN_SPACE;
  s->buf = malloc(s->bufsize);
  s->runs = malloc(RECV_MAX_DATAGRAMS * sizeof *s->runs);
  if (!s->buf || !s->runs) {
    close(fd);
    sock_free(s);
    throw_errno(env, ENOMEM, "NetlinkSocket");
    return NULL;
  }
  napi_create_reference(env, argv[1], 1, &s->on_data);
  napi_value rname;
  napi_create_string_utf8(env, "vectorplane:netlink-socket", NAPI_AUTO_LENGTH, &rname);
  napi_async_init(env, self, rname, &s->ctx);
  int on = 1;
  setsockopt(fd, SOL_NETLINK, NETLINK_PKTINFO, &on, sizeof on);
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ? errno : 0;
  if (!rc) rc = -uv_poll_init(loop, &s->poll, fd);
  if (rc) {
    napi_delete_reference(env, s->on_data);
    napi_async_destroy(env, s->ctx);
    close(fd);
    sock_free(s);
    throw_errno(env, rc, "bind/poll");
    return NULL;
  }
  s->poll.data = s;
  uv_poll_start(&s->poll, UV_READABLE, sock_on_readable);
  uv_unref((uv_handle_t *)&s->poll);
  napi_wrap(env, self, s, sock_finalize, NULL, NULL);
  return self;
}

/* portid() → number */
static napi_value sock_portid(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  nlsock_t *s = unwrap(env, info, &argc, NULL);
  if (!s) return NULL;
  struct sockaddr_nl sa;
  socklen_t len = sizeof sa;
  if (getsockname(s->fd, (struct sockaddr *)&sa, &len) < 0) {
    throw_errno(env, errno, "getsockname");
    return NULL;
  }
  napi_value v;
  napi_create_uint32(env, sa.nl_pid, &v);
  return v;
}

/* setOption(level, name, value, optional=false) → boolean (false when optional and refused) */
static napi_value sock_setopt(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  nlsock_t *s = unwrap(env, info, &argc, argv);
  if (!s) return NULL;
  int32_t level, name, value;
  bool optional = false;
  if (argc < 3 || get_int(env, argv[0], &level) || get_int(env, argv[1], &name) || get_int(env, argv[2], &value)) {
    napi_throw_type_error(env, NULL, "setOption(level, name, value)");
    return NULL;
  }
  if (argc > 3) napi_get_value_bool(env, argv[3], &optional);
  napi_value ok;
  if (setsockopt(s->fd, level, name, &value, sizeof value) < 0) {
    if (!optional) {
      throw_errno(env, errno, "setsockopt");
      return NULL;
    }
    napi_get_boolean(env, false, &ok);
    return ok;
  }
  napi_get_boolean(env, true, &ok);
  return ok;
}

/* getOption(level, name) → number */
static napi_value sock_getopt(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  nlsock_t *s = unwrap(env, info, &argc, argv);
  if (!s) return NULL;
  int32_t level, name, value = 0;
  socklen_t len = sizeof value;
  if (argc < 2 || get_int(env, argv[0], &level) || get_int(env, argv[1], &name)) {
    napi_throw_type_error(env, NULL, "getOption(level, name)");
    return NULL;
  }
  if (getsockopt(s->fd, level, name, &value, &len) < 0) {
    throw_errno(env, errno, "getsockopt");
    return NULL;
  }
  napi_value v;
  napi_create_int32(env, value, &v);
  return v;
}

/* send(messages: Uint8Array[]) → bytes sent. All messages go in one datagram (one sendmsg, one iovec
 * entry each); the kernel processes them in order. Throws on error (EAGAIN included). */
static napi_value sock_send(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  nlsock_t *s = unwrap(env, info, &argc, argv);
  if (!s) return NULL;
  bool is_array = false;
  if (argc < 1 || napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array) {
    napi_throw_type_error(env, NULL, "send(messages: Uint8Array[])");
    return NULL;
  }
  uint32_t n;
  napi_get_array_length(env, argv[0], &n);
  if (n == 0 || n > 1024) { /* IOV_MAX bounds one sendmsg */
    napi_throw_range_error(env, NULL, "send: 1..1024 messages per datagram");
    return NULL;
  }
  struct iovec *iov = calloc(n, sizeof *iov);
  if (!iov) {
    throw_errno(env, ENOMEM, "send");
    return NULL;
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value el, ab;
    napi_typedarray_type tt;
    size_t len, off;
    void *data;
    napi_get_element(env, argv[0], i, &el);
    if (napi_get_typedarray_info(env, el, &tt, &len, &data, &ab, &off) != napi_ok || tt != napi_uint8_array) {
      free(iov);
      napi_throw_type_error(env, NULL, "send: every message must be a Uint8Array");
      return NULL;
    }
    iov[i].iov_base = data;
    iov[i].iov_len = len;
  }
  struct sockaddr_nl to = {.nl_family = AF_NETLINK};
  ssize_t sent;
  int err = 0;
  struct msghdr mh = {&to, sizeof to, iov, n, NULL, 0, 0};
  do {
    sent = sendmsg(s->fd, &mh, 0);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) err = errno;
  free(iov);
  if (err) {
    throw_errno(env, err, "sendmsg");
    return NULL;
  }
  napi_value v;
  napi_create_int64(env, sent, &v);
  return v;
}

/* ref()/unref(): whether pending work on this socket keeps the event loop alive. */
static napi_value sock_ref(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  nlsock_t *s = unwrap(env, info, &argc, argv);
  if (!s) return NULL;
  bool on = true;
  if (argc > 0) napi_get_value_bool(env, argv[0], &on);
  if (on)
    uv_ref((uv_handle_t *)&s->poll);
  else
    uv_unref((uv_handle_t *)&s->poll);
  return NULL;
}

/* close(): stops polling and closes the fd; idempotent. */
static napi_value sock_close(napi_env env, napi_callback_info info) {
  napi_value self;
  void *data = NULL;
  size_t argc = 0;
  CHECK(napi_get_cb_info(env, info, &argc, NULL, &self, NULL));
  if (napi_unwrap(env, self, &data) != napi_ok || !data) return NULL;
  nlsock_t *s = data;
  sock_teardown(s);
  return NULL;
}

#define EXPORT_FN(name, fn)                                                                            \
  do {                                                                                                 \
    napi_value f;                                                                                      \
    napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &f);                                   \
    napi_set_named_property(env, exports, name, f);                                                    \
  } while (0)

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
      {"portid", NULL, sock_portid, NULL, NULL, NULL, napi_default, NULL},
      {"setOption", NULL, sock_setopt, NULL, NULL, NULL, napi_default, NULL},
      {"getOption", NULL, sock_getopt, NULL, NULL, NULL, napi_default, NULL},
      {"send", NULL, sock_send, NULL, NULL, NULL, napi_default, NULL},
      {"ref", NULL, sock_ref, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, sock_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value cls;
  napi_define_class(env, "NetlinkSocket", NAPI_AUTO_LENGTH, sock_ctor, NULL, sizeof methods / sizeof methods[0],
                    methods, &cls);
  napi_set_named_property(env, exports, "NetlinkSocket", cls);
  EXPORT_FN("socketIn", js_socket_in);
  EXPORT_FN("openIn", js_open_in);
  EXPORT_FN("tunCreate", js_tun_create);
  EXPORT_FN("exchangeIn", js_exchange_in);
  EXPORT_FN("netnsAdd", js_netns_add);
  EXPORT_FN("netnsDelete", js_netns_del);
  EXPORT_FN("closeFd", js_close_fd);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
