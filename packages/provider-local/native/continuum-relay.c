/*
 * continuum-relay: a packet-level userspace substitute for `tc netem`, for kernels built without
 * sch_netem (the project's CI machines). One process serves every node of a run.
 *
 * For each node it creates two TAP devices directly in their namespaces: the "node" TAP is the
 * node's eth0 (given its address and brought up here, with ioctls), the "bridge" TAP is a port of
 * the run's bridge in the run's hub namespace. Creating them in place avoids moving 2N devices
 * between namespaces, which costs ~20 ms each. Frames the node sends (its egress) are held for a per-destination delay (+ normal jitter,
 * + random loss) before they are written to the bridge TAP; frames from the bridge go to the node at
 * once. Shaping egress on every node is upstream Continuum's model, so RTT = delay(a->b) + delay(b->a).
 *
 * Ordering: every (node, rule) pair is one FIFO queue. A frame's due time is never earlier than the
 * one queued before it, so jitter does not reorder a flow (TCP would otherwise see spurious
 * reordering). Different destinations never wait behind each other.
 *
 * Only IPv4 frames are delayed (rule lookup by destination address); ARP and anything else pass at
 * once, so neighbour resolution does not add a delayed first packet.
 *
 * The TAPs are persistent and live in the run's namespaces: deleting the namespaces removes them in
 * one batch (closing 2N non-persistent TAPs one by one would take ~20 ms each). Stop this process
 * first: its TAP sockets hold references to the namespaces.
 *
 * Offloads: TAPs carry a virtio-net header (IFF_VNET_HDR) and, unless the node has a lossy link,
 * TSO/checksum offload, so TCP moves 64 KiB segments through the relay instead of 1500-byte frames.
 * A lossy node keeps MTU-sized frames so loss applies per packet, as on a real link.
 *
 * Scheduling: the relay asks for SCHED_FIFO (priority 10) and a 1 ns timer slack. On a loaded
 * 2-core host a normal-priority relay is preempted for milliseconds, which shows up as delay error
 * and jitter that nobody configured. The kernel's RT throttling still leaves 5 % to others. If
 * the request is refused, it runs at normal priority and says so on stderr.
 *
 * Usage: continuum-relay CONFIG_FILE
 *   CONFIG_FILE lines:
 *     hub HUB_NETNS_PATH BRIDGE_NAME
 *     pair NODE_NETNS_PATH ADDRESS/PREFIX BRIDGE_TAP OFFLOAD(0|1)
 *     rule A.B.C.D/PREFIX DELAY_US JITTER_US LOSS_PPM   (applies to the last pair, first match wins)
 *     seed N
 *   Prints "READY <pairs>" on stdout once every TAP is open.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <math.h>
#include <linux/sockios.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_RULES 8
#define MAX_FRAME (65536 + 256)
#define VNET_HDR 10 /* sizeof(struct virtio_net_hdr) */
#define MAX_QUEUED 20000 /* per queue; beyond this the link drops (tail drop), like a full qdisc */

typedef struct packet {
  struct packet *next;
  uint64_t due;
  uint32_t len;
  unsigned char data[];
} packet;

typedef struct {
  packet *head, *tail;
  uint32_t count;
  uint64_t last_due;
} fifo;

typedef struct {
  uint32_t net, mask;
  uint64_t delay_ns, jitter_ns;
  uint32_t loss_ppm;
} rule;

typedef struct {
  char node_ns[256], bridge_name[IFNAMSIZ];
  struct in_addr addr;
  unsigned prefix;
  int offload;
  int node_fd, bridge_fd;
  int nrules;
  rule rules[MAX_RULES];
  fifo queues[MAX_RULES];
} pair;

static pair *pairs;
static int npairs;
static char hub_ns[256], hub_bridge[IFNAMSIZ];
static volatile sig_atomic_t stop;
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static unsigned long long stat_forwarded, stat_dropped_loss, stat_dropped_full;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t xorshift(void) {
  uint64_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return rng_state = x;
}

static double uniform01(void) { return ((xorshift() >> 11) + 0.5) * (1.0 / 9007199254740992.0); }

static double gauss(void) {
  /* Box-Muller; one value per call is plenty at packet rates. */
  double u1 = uniform01(), u2 = uniform01();
  return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* Enter a network namespace given by its bind-mount path (/run/netns/NAME). */
static int enter_netns(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    fprintf(stderr, "open %s: %s\n", path, strerror(errno));
    return -1;
  }
  int rc = setns(fd, CLONE_NEWNET);
  if (rc < 0) fprintf(stderr, "setns %s: %s\n", path, strerror(errno));
  close(fd);
  return rc;
}

/* Create a persistent TAP with a virtio-net header in the current network namespace. */
static int open_tap(const char *name, int offload) {
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    perror("open /dev/net/tun");
    return -1;
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
  strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    fprintf(stderr, "TUNSETIFF %s: %s\n", name, strerror(errno));
    close(fd);
    return -1;
  }
  unsigned off = offload ? (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) : 0;
  if (ioctl(fd, TUNSETOFFLOAD, off) < 0) fprintf(stderr, "TUNSETOFFLOAD %s: %s\n", name, strerror(errno));
  if (ioctl(fd, TUNSETPERSIST, 1) < 0) fprintf(stderr, "TUNSETPERSIST %s: %s\n", name, strerror(errno));
  return fd;
}

static int set_up(int sock, const char *name) {
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) return -1;
  ifr.ifr_flags |= IFF_UP;
  return ioctl(sock, SIOCSIFFLAGS, &ifr);
}

static void write_sysctl(const char *path, const char *value) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return; /* no IPv6 in this kernel: nothing to disable */
  if (write(fd, value, strlen(value)) < 0) { /* best effort */
  }
  close(fd);
}

/* In the node's namespace: eth0 (TAP) with its address, up; lo up; no IPv6 chatter. */
static int setup_node(pair *p) {
  if (enter_netns(p->node_ns) < 0) return -1;
  write_sysctl("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
  write_sysctl("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
  p->node_fd = open_tap("eth0", p->offload);
  if (p->node_fd < 0) return -1;
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, "eth0", IFNAMSIZ - 1);
  struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
  sin->sin_family = AF_INET;
  sin->sin_addr = p->addr;
  int rc = ioctl(sock, SIOCSIFADDR, &ifr);
  if (rc == 0) {
    sin->sin_addr.s_addr = p->prefix == 0 ? 0 : htonl(0xFFFFFFFFu << (32 - p->prefix));
    rc = ioctl(sock, SIOCSIFNETMASK, &ifr);
  }
  if (rc == 0) rc = set_up(sock, "eth0");
  if (rc == 0) rc = set_up(sock, "lo");
  if (rc < 0) fprintf(stderr, "configure eth0 in %s: %s\n", p->node_ns, strerror(errno));
  close(sock);
  return rc;
}

/* In the hub namespace: the bridge-side TAP, enslaved to the bridge and up. */
static int setup_bridge_port(pair *p, int hub_sock) {
  p->bridge_fd = open_tap(p->bridge_name, 1);
  if (p->bridge_fd < 0) return -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, p->bridge_name, IFNAMSIZ);
  int rc = ioctl(hub_sock, SIOCGIFINDEX, &ifr);
  int index = ifr.ifr_ifindex;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, hub_bridge, IFNAMSIZ);
  ifr.ifr_ifindex = index;
  if (rc < 0 || ioctl(hub_sock, SIOCBRADDIF, &ifr) < 0 || set_up(hub_sock, p->bridge_name) < 0) {
    fprintf(stderr, "attach %s to %s: %s\n", p->bridge_name, hub_bridge, strerror(errno));
    return -1;
  }
  return 0;
}

static int load_config(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "cannot open config %s: %s\n", path, strerror(errno));
    return -1;
  }
  char line[512];
  int cap = 16;
  pairs = calloc(cap, sizeof *pairs);
  while (fgets(line, sizeof line, f)) {
    char a[256], b[64];
    char addr[64];
    unsigned long long d, j;
    unsigned int loss, prefix;
    int offload;
    unsigned long long seed;
    if (sscanf(line, "hub %255s %15s", a, b) == 2) {
      memcpy(hub_ns, a, sizeof hub_ns - 1);
      memcpy(hub_bridge, b, IFNAMSIZ - 1);
    } else if (sscanf(line, "pair %255s %63[0-9.]/%u %15s %d", a, addr, &prefix, b, &offload) == 5) {
      if (npairs == cap) {
        cap *= 2;
        pairs = realloc(pairs, cap * sizeof *pairs);
        memset(pairs + npairs, 0, (cap - npairs) * sizeof *pairs);
      }
      pair *p = &pairs[npairs++];
      memcpy(p->node_ns, a, sizeof p->node_ns - 1);
      memcpy(p->bridge_name, b, IFNAMSIZ - 1);
      if (inet_pton(AF_INET, addr, &p->addr) != 1 || prefix > 32) {
        fprintf(stderr, "bad pair: %s", line);
        fclose(f);
        return -1;
      }
      p->prefix = prefix;
      p->offload = offload;
    } else if (sscanf(line, "rule %63[0-9.]/%u %llu %llu %u", a, &prefix, &d, &j, &loss) == 5) {
      if (npairs == 0) continue;
      pair *p = &pairs[npairs - 1];
      if (p->nrules == MAX_RULES) {
        fprintf(stderr, "too many rules for %s\n", p->node_ns);
        fclose(f);
        return -1;
      }
      struct in_addr net;
      if (inet_pton(AF_INET, a, &net) != 1 || prefix > 32) {
        fprintf(stderr, "bad rule: %s", line);
        fclose(f);
        return -1;
      }
      rule *r = &p->rules[p->nrules++];
      r->mask = prefix == 0 ? 0 : htonl(0xFFFFFFFFu << (32 - prefix));
      r->net = net.s_addr & r->mask;
      r->delay_ns = d * 1000ull;
      r->jitter_ns = j * 1000ull;
      r->loss_ppm = loss;
    } else if (sscanf(line, "seed %llu", &seed) == 1) {
      rng_state = seed ? seed : rng_state;
    }
  }
  fclose(f);
  return 0;
}

/* Which rule applies to a frame leaving the node, or -1 to forward at once. */
/* `frame` starts with the virtio-net header, then the Ethernet header. */
static int match_rule(const pair *p, const unsigned char *frame, ssize_t len) {
  const unsigned char *eth = frame + VNET_HDR;
  if (len < VNET_HDR + 34) return -1;
  uint16_t ethertype = (uint16_t)(eth[12] << 8 | eth[13]);
  if (ethertype != 0x0800) return -1;
  uint32_t dst;
  memcpy(&dst, eth + 30, 4);
  for (int i = 0; i < p->nrules; i++)
    if ((dst & p->rules[i].mask) == p->rules[i].net) return i;
  return -1;
}

static void enqueue(pair *p, int ri, const unsigned char *frame, ssize_t len, uint64_t now) {
  rule *r = &p->rules[ri];
  fifo *q = &p->queues[ri];
  if (r->loss_ppm && (xorshift() % 1000000u) < r->loss_ppm) {
    stat_dropped_loss++;
    return;
  }
  double delay = (double)r->delay_ns;
  if (r->jitter_ns) delay += gauss() * (double)r->jitter_ns;
  if (delay < 0) delay = 0;
  uint64_t due = now + (uint64_t)delay;
  if (due < q->last_due) due = q->last_due; /* keep FIFO order within the queue */
  if (due <= now && q->head == NULL) {
    if (write(p->bridge_fd, frame, (size_t)len) < 0) stat_dropped_full++;
    else stat_forwarded++;
    return;
  }
  if (q->count >= MAX_QUEUED) {
    stat_dropped_full++;
    return;
  }
  packet *pk = malloc(sizeof *pk + (size_t)len);
  if (!pk) {
    stat_dropped_full++;
    return;
  }
  pk->next = NULL;
  pk->due = due;
  pk->len = (uint32_t)len;
  memcpy(pk->data, frame, (size_t)len);
  if (q->tail) q->tail->next = pk;
  else q->head = pk;
  q->tail = pk;
  q->count++;
  q->last_due = due;
}

/* Write every due frame; return the earliest due time still queued (0 if none). */
static uint64_t release_due(uint64_t now) {
  uint64_t next = 0;
  for (int i = 0; i < npairs; i++) {
    pair *p = &pairs[i];
    for (int r = 0; r < p->nrules; r++) {
      fifo *q = &p->queues[r];
      while (q->head && q->head->due <= now) {
        packet *pk = q->head;
        q->head = pk->next;
        if (!q->head) q->tail = NULL;
        q->count--;
        if (write(p->bridge_fd, pk->data, pk->len) < 0) stat_dropped_full++;
        else stat_forwarded++;
        free(pk);
      }
      if (q->head && (next == 0 || q->head->due < next)) next = q->head->due;
    }
  }
  return next;
}

static void arm_timer(int tfd, uint64_t due) {
  struct itimerspec its;
  memset(&its, 0, sizeof its);
  if (due) {
    its.it_value.tv_sec = (time_t)(due / 1000000000ull);
    its.it_value.tv_nsec = (long)(due % 1000000000ull);
  }
  timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void on_signal(int sig) {
  (void)sig;
  stop = 1;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s CONFIG_FILE\n", argv[0]);
    return 2;
  }
  if (load_config(argv[1]) < 0) return 2;
  if (npairs == 0) {
    fprintf(stderr, "config %s has no pairs\n", argv[1]);
    return 2;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGHUP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);

  int ep = epoll_create1(EPOLL_CLOEXEC);
  int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (ep < 0 || tfd < 0) {
    perror("epoll/timerfd");
    return 1;
  }
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = UINT64_MAX};
  epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
  if (hub_ns[0] == 0 || hub_bridge[0] == 0) {
    fprintf(stderr, "config %s has no hub line\n", argv[1]);
    return 2;
  }
  for (int i = 0; i < npairs; i++) {
    if (setup_node(&pairs[i]) < 0) return 1;
  }
  if (enter_netns(hub_ns) < 0) return 1;
  int hub_sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (hub_sock < 0) {
    perror("socket");
    return 1;
  }
  for (int i = 0; i < npairs; i++) {
    pair *p = &pairs[i];
    if (setup_bridge_port(p, hub_sock) < 0) return 1;
    /* data: pair index * 2 + side (0 = node side, 1 = bridge side) */
    ev.data.u64 = (uint64_t)i * 2;
    epoll_ctl(ep, EPOLL_CTL_ADD, p->node_fd, &ev);
    ev.data.u64 = (uint64_t)i * 2 + 1;
    epoll_ctl(ep, EPOLL_CTL_ADD, p->bridge_fd, &ev);
  }
  close(hub_sock);
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  struct sched_param sp = {.sched_priority = 10};
  const char *sched = "fifo";
  if (sched_setscheduler(0, SCHED_FIFO, &sp) < 0) {
    fprintf(stderr, "SCHED_FIFO refused (%s): running at normal priority\n", strerror(errno));
    sched = "normal";
  }
  printf("READY %d sched=%s\n", npairs, sched);
  fflush(stdout);

  static unsigned char buf[MAX_FRAME];
  struct epoll_event events[64];
  uint64_t armed = 0;
  while (!stop) {
    int n = epoll_wait(ep, events, 64, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("epoll_wait");
      break;
    }
    uint64_t now = now_ns();
    for (int e = 0; e < n; e++) {
      uint64_t tag = events[e].data.u64;
      if (tag == UINT64_MAX) {
        uint64_t expirations;
        if (read(tfd, &expirations, sizeof expirations) < 0) { /* spurious wakeup */
        }
        armed = 0;
        continue;
      }
      pair *p = &pairs[tag / 2];
      int from_bridge = (int)(tag % 2);
      int in = from_bridge ? p->bridge_fd : p->node_fd;
      /* Bounded batch per wakeup so one busy TAP cannot starve the others. */
      for (int k = 0; k < 256; k++) {
        ssize_t len = read(in, buf, sizeof buf);
        if (len < 0 && errno != EAGAIN && errno != EINTR) {
          /* The device is gone (namespace deleted under us): stop polling it, or a level-triggered
           * EPOLLERR would spin this real-time process. */
          fprintf(stderr, "%s side of %s: %s; no longer relayed\n", from_bridge ? "bridge" : "node", p->bridge_name, strerror(errno));
          epoll_ctl(ep, EPOLL_CTL_DEL, in, NULL);
          break;
        }
        if (len <= 0) break;
        if (from_bridge) {
          if (write(p->node_fd, buf, (size_t)len) < 0) stat_dropped_full++;
          else stat_forwarded++;
          continue;
        }
        int ri = match_rule(p, buf, len);
        if (ri < 0) {
          if (write(p->bridge_fd, buf, (size_t)len) < 0) stat_dropped_full++;
          else stat_forwarded++;
        } else {
          enqueue(p, ri, buf, len, now);
        }
      }
    }
    uint64_t next = release_due(now_ns());
    if (next != armed) {
      arm_timer(tfd, next);
      armed = next;
    }
  }
  fprintf(stderr, "relay stopping: forwarded=%llu lost=%llu dropped_full=%llu\n", stat_forwarded, stat_dropped_loss,
          stat_dropped_full);
  return 0;
}
