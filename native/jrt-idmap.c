/*
 * jrt-idmap: give a job its directories through idmapped mounts, then exec the sandbox.
 *
 *   jrt-idmap --check DIR        (jrt doctor: an idmapped clone of DIR's mount, attached nowhere)
 *   jrt-idmap [--cgroup PROCS]... [--kill-after SECONDS ALL_PROCS] [--write NAME TEXT]... MNT UID:GID
 *             [SRC_FD:OWNER_UID:OWNER_GID:TO_UID:TO_GID:OUT_FD[:ro]]... -- COMMAND [ARGS...]
 *
 * First it joins the job's cgroups (writes its pid to each cgroup.procs file PROCS), so that it and
 * everything it starts — bwrap, the job — are inside them before anything of the job runs. With
 * --kill-after it leaves a watchdog in them: a child that ignores the signals jrt forwards to the
 * job, sleeps SECONDS, then SIGKILLs every process listed in ALL_PROCS (the cgroup.procs of the
 * cgroup holding the whole job), three passes, so that a --timeout holds even while jrt is stopped or
 * was SIGKILLed. It kills only what is in that cgroup (no saved pid can be reused by another
 * process), and goes with the cgroup when the job ends. Then it marks itself the OOM killer's first
 * choice (oom_score_adj 1000: the job, never jrt nor the watchdog, is the victim; inherited by all).
 * Each --write leaves the file MNT/NAME (0444) holding TEXT, for bwrap to bind (the job's passwd
 * and group): in memory, in this process's namespace only, gone with the job.
 *
 * For each mapping, the directory (or file) open on SRC_FD — opened once by jrt, so no path is
 * looked up again — is cloned as a detached mount whose owner OWNER_UID:OWNER_GID appears as
 * TO_UID:TO_GID (and what TO_UID creates is stored as OWNER_UID), nosuid and nodev, read-only with
 * `ro`. The clones are attached below MNT inside a private mount namespace of this process, which
 * nobody else sees and which ends with the job: the host never has these mounts. OUT_FD is left open
 * on each (O_PATH). Then it becomes UID:GID for good (no supplementary groups, no capabilities left,
 * no new privileges: what setpriv --reuid --regid --clear-groups --no-new-privs did, without the
 * exec of another program) and execs COMMAND (bwrap), which binds them into the sandbox.
 *
 * Node has no way to call open_tree(2), mount_setattr(2) or move_mount(2) (kernel >= 5.12); this is
 * the smallest program that does. It runs as root, before the sandbox drops every privilege.
 * Exit status 125 with a message on stderr when anything fails; nothing is left behind.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FAIL 125

static void die(const char *what, const char *detail) {
  fprintf(stderr, "jrt-idmap: %s%s%s: %s\n", what, detail ? " " : "", detail ? detail : "",
          strerror(errno));
  exit(FAIL);
}

static void usage(const char *why) {
  fprintf(stderr, "jrt-idmap: %s\n", why);
  exit(FAIL);
}

struct mapping {
  int src_fd, out_fd, ro;
  unsigned long owner_uid, owner_gid, to_uid, to_gid;
};

static unsigned long number(const char *s, char **end) {
  errno = 0;
  unsigned long n = strtoul(s, end, 10);
  if (errno || *end == s) usage("bad number in a mapping");
  return n;
}

static void parse(const char *arg, struct mapping *m) {
  char *p = (char *)arg;
  unsigned long v[6];
  for (int i = 0; i < 6; i++) {
    v[i] = number(p, &p);
    if (i < 5 && *p++ != ':') usage("a mapping is SRC_FD:OWNER_UID:OWNER_GID:TO_UID:TO_GID:OUT_FD[:ro]");
  }
  m->ro = strcmp(p, ":ro") == 0;
  if (*p && !m->ro) usage("a mapping ends with :ro or nothing");
  m->src_fd = (int)v[0];
  m->owner_uid = v[1];
  m->owner_gid = v[2];
  m->to_uid = v[3];
  m->to_gid = v[4];
  m->out_fd = (int)v[5];
}

static void write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) die("cannot write", path);
  close(fd);
}

/* A user namespace whose only ids are OWNER (inside) = TO (outside): the idmap of one mount. */
static int userns_for(const struct mapping *m) {
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) < 0) die("pipe", NULL);
  pid_t child = fork();
  if (child < 0) die("fork", NULL);
  if (child == 0) {
    if (unshare(CLONE_NEWUSER) < 0) _exit(1);
    close(ready[0]);
    /* Tell the parent the namespace exists, then wait to be killed. */
    if (write(ready[1], "x", 1) != 1) _exit(1);
    pause();
    _exit(0);
  }
  close(ready[1]);
  char c;
  if (read(ready[0], &c, 1) != 1) usage("cannot create a user namespace");
  close(ready[0]);
  char path[64], map[96];
  snprintf(map, sizeof map, "%lu %lu 1\n", m->owner_uid, m->to_uid);
  snprintf(path, sizeof path, "/proc/%d/uid_map", child);
  write_file(path, map);
  snprintf(map, sizeof map, "%lu %lu 1\n", m->owner_gid, m->to_gid);
  snprintf(path, sizeof path, "/proc/%d/gid_map", child);
  write_file(path, map);
  snprintf(path, sizeof path, "/proc/%d/ns/user", child);
  int ns = open(path, O_RDONLY | O_CLOEXEC);
  if (ns < 0) die("cannot open", path);
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  return ns;
}

/*
 * Before the mount namespace is unshared: open_tree(2) clones only a mount of the caller's namespace.
 * The clone is kept above `floor` (every SRC_FD and OUT_FD): attaching one mapping dup2()s onto its
 * OUT_FD, which must not be the descriptor of a clone still waiting to be attached.
 */
static int idmapped_clone(const struct mapping *m, int floor) {
  int tree = (int)syscall(SYS_open_tree, m->src_fd, "",
                          OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  if (tree < 0) die("open_tree on fd", NULL);
  struct mount_attr attr = {
      .attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                  (m->ro ? MOUNT_ATTR_RDONLY : 0),
      .userns_fd = (unsigned long)userns_for(m),
  };
  if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
    die("cannot idmap the mount (does this filesystem support idmapped mounts?)", NULL);
  close((int)attr.userns_fd);
  int high = fcntl(tree, F_DUPFD_CLOEXEC, floor);
  if (high < 0) die("fcntl F_DUPFD_CLOEXEC", NULL);
  close(tree);
  return high;
}

static void attach(const struct mapping *m, int tree, const char *mnt, int index) {
  char target[4096];
  snprintf(target, sizeof target, "%s/%d", mnt, index);
  struct stat st;
  if (fstat(m->src_fd, &st) < 0) die("fstat", NULL);
  if (S_ISDIR(st.st_mode)) {
    if (mkdir(target, 0700) < 0) die("mkdir", target);
  } else {
    int f = open(target, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (f < 0) die("create", target);
    close(f);
  }
  if (syscall(SYS_move_mount, tree, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    die("move_mount to", target);
  close(tree);
  int out = open(target, O_PATH | O_CLOEXEC);
  if (out < 0) die("cannot open", target);
  if (dup2(out, m->out_fd) < 0) die("dup2", NULL);
  close(out);
  close(m->src_fd);
}

static void join_cgroup(const char *procs) {
  char pid[32];
  snprintf(pid, sizeof pid, "%d\n", (int)getpid());
  int fd = open(procs, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, pid, strlen(pid)) != (ssize_t)strlen(pid)) die("cannot join cgroup", procs);
  close(fd);
}

/* MNT/NAME, new, holding TEXT, readable by all (the tmpfs is this process's own). */
static void write_new(const char *mnt, const char *name, const char *text) {
  char target[4096];
  snprintf(target, sizeof target, "%s/%s", mnt, name);
  int fd = open(target, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0444);
  size_t len = strlen(text);
  if (fd < 0 || write(fd, text, len) != (ssize_t)len) die("cannot write", target);
  if (fchmod(fd, 0444) < 0) die("chmod", target);
  close(fd);
}

/* Three passes over ALL_PROCS: what a pass kills may have forked meanwhile. */
static void kill_all(const char *all) {
  for (int pass = 0; pass < 3; pass++) {
    FILE *f = fopen(all, "re");
    if (!f) return;
    long pid;
    while (fscanf(f, "%ld", &pid) == 1)
      if (pid > 0 && pid != (long)getpid()) kill((pid_t)pid, SIGKILL);
    fclose(f);
  }
}

/* The --timeout watchdog: a child in the job's cgroups that outlives a stopped or killed jrt. */
static void start_watchdog(const char *seconds, const char *all) {
  char *end;
  errno = 0;
  double s = strtod(seconds, &end);
  if (errno || *end || !(s > 0) || s > 1e9) usage("--kill-after takes a positive number of seconds");
  pid_t child = fork();
  if (child < 0) die("fork", NULL);
  if (child > 0) return;
  signal(SIGTERM, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  /* Nothing of jrt's or the job's: no pipe kept open, no descriptor of the job's directories. */
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
  }
  syscall(SYS_close_range, 3U, ~0U, 0U);
  struct timespec left = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};
  while (nanosleep(&left, &left) < 0 && errno == EINTR) {
  }
  kill_all(all);
  _exit(0);
}

/* Become uid:gid with nothing of root left; refuses root itself. */
static void become(const char *spec) {
  char *p = (char *)spec;
  unsigned long uid = number(p, &p);
  if (*p++ != ':') usage("the user is UID:GID");
  unsigned long gid = number(p, &p);
  if (*p || uid == 0 || gid == 0) usage("the user is UID:GID, neither 0");
  if (setgroups(0, NULL) < 0) die("setgroups", NULL);
  if (setresgid((gid_t)gid, (gid_t)gid, (gid_t)gid) < 0) die("setresgid", NULL);
  if (setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) < 0) die("setresuid", NULL);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die("no_new_privs", NULL);
}

/* jrt doctor: can this kernel and the filesystem of DIR make an idmapped mount? Nothing is attached. */
static int check(const char *dir) {
  struct mapping m = {.owner_uid = 0, .owner_gid = 0, .to_uid = 0x70000000, .to_gid = 0x70000000};
  m.src_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (m.src_fd < 0) die("cannot open", dir);
  close(idmapped_clone(&m, 3));
  printf("idmapped mounts work on %s\n", dir);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--check") == 0) return check(argv[2]);
  int arg = 1;
  const char *kill_after = NULL, *all_procs = NULL;
  const char *write_name[8], *write_text[8];
  int writes = 0;
  while (arg < argc && strncmp(argv[arg], "--", 2) == 0 && argv[arg][2]) {
    if (strcmp(argv[arg], "--cgroup") == 0 && arg + 1 < argc) {
      join_cgroup(argv[arg + 1]);
      arg += 2;
    } else if (strcmp(argv[arg], "--write") == 0 && arg + 2 < argc) {
      const char *name = argv[arg + 1];
      if (writes == 8 || !*name || strspn(name, "abcdefghijklmnopqrstuvwxyz") != strlen(name))
        usage("--write takes at most 8 files, each NAME of a-z only");
      write_name[writes] = name;
      write_text[writes++] = argv[arg + 2];
      arg += 3;
    } else if (strcmp(argv[arg], "--kill-after") == 0 && arg + 2 < argc) {
      kill_after = argv[arg + 1];
      all_procs = argv[arg + 2];
      arg += 3;
    } else {
      usage("unknown option (--cgroup PROCS, --kill-after SECONDS ALL_PROCS)");
    }
  }
  if (argc - arg < 4) usage("usage: jrt-idmap [OPTIONS] MNT UID:GID MAPPING... -- COMMAND [ARGS...]");
  /* After every --cgroup: the watchdog starts inside all of them. */
  if (kill_after) start_watchdog(kill_after, all_procs);
  write_file("/proc/self/oom_score_adj", "1000");
  const char *mnt = argv[arg];
  const char *user = argv[arg + 1];
  int first = arg + 2;
  int dash = first;
  while (dash < argc && strcmp(argv[dash], "--") != 0) dash++;
  if (dash >= argc - 1) usage("no command after --");
  int n = dash - first;
  struct mapping *maps = calloc((size_t)(n > 0 ? n : 1), sizeof *maps);
  int *trees = calloc((size_t)(n > 0 ? n : 1), sizeof *trees);
  if (!maps || !trees) die("calloc", NULL);
  for (int i = 0; i < n; i++) parse(argv[first + i], &maps[i]);
  int floor = 3;
  for (int i = 0; i < n; i++) {
    if (maps[i].src_fd >= floor) floor = maps[i].src_fd + 1;
    if (maps[i].out_fd >= floor) floor = maps[i].out_fd + 1;
  }
  for (int i = 0; i < n; i++) trees[i] = idmapped_clone(&maps[i], floor);
  /* Mounts made from here on exist only for this process and what it execs. */
  if (unshare(CLONE_NEWNS) < 0) die("unshare mount namespace", NULL);
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) die("make mounts private", NULL);
  if (mount("jrt-idmap", mnt, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0711,size=64k") < 0)
    die("mount tmpfs on", mnt);
  for (int i = 0; i < n; i++) attach(&maps[i], trees[i], mnt, i);
  for (int i = 0; i < writes; i++) write_new(mnt, write_name[i], write_text[i]);
  /* The tmpfs holds nothing but mount points: no one writes to it again. */
  if (mount(NULL, mnt, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
    die("remount read-only", mnt);
  become(user);
  execvp(argv[dash + 1], &argv[dash + 1]);
  die("cannot run", argv[dash + 1]);
  return FAIL;
}
