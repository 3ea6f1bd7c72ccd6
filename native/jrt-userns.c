/*
 * jrt-userns: run a build's command as root of a user namespace whose ids are an unprivileged
 * host range, so that recipe and archive code (maintainer scripts, build steps) is root only there.
 *
 *   jrt-userns HOST_UID HOST_GID COUNT -- COMMAND [ARGS...]
 *
 * Ids 0..COUNT-1 inside are HOST_UID.. and HOST_GID.. outside. The process unshares its user
 * namespace, a child (still root of the host: writing a map of more than one id needs CAP_SETUID
 * where the ids live) writes both maps into it, and the process then becomes uid 0 / gid 0 inside,
 * with no supplementary groups, and execs COMMAND in its own pid: jrt's signals reach COMMAND.
 * COMMAND has every capability in the new namespace and none in the host's; what it creates is
 * owned by the mapped ids on the host. This is what newuidmap(1) and `unshare --map-users` do,
 * without the uidmap package, /etc/subuid or a setuid program: jrt runs as root.
 *
 * Exit status 125 with a message on stderr when the namespace cannot be made; nothing is left behind.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define FAIL 125

static void die(const char *what, const char *detail) {
  fprintf(stderr, "jrt-userns: %s%s%s: %s\n", what, detail ? " " : "", detail ? detail : "",
          strerror(errno));
  exit(FAIL);
}

static void usage(const char *why) {
  fprintf(stderr, "jrt-userns: %s\n", why);
  exit(FAIL);
}

static unsigned long number(const char *s) {
  char *end;
  errno = 0;
  unsigned long n = strtoul(s, &end, 10);
  if (errno || *end || end == s) usage("HOST_UID, HOST_GID and COUNT are numbers");
  return n;
}

static void write_map(pid_t pid, const char *file, unsigned long outside, unsigned long count) {
  char path[64], map[64];
  snprintf(path, sizeof path, "/proc/%d/%s", pid, file);
  snprintf(map, sizeof map, "0 %lu %lu\n", outside, count);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, map, strlen(map)) != (ssize_t)strlen(map)) die("cannot write", path);
  close(fd);
}

int main(int argc, char **argv) {
  if (argc < 6 || strcmp(argv[4], "--") != 0)
    usage("usage: jrt-userns HOST_UID HOST_GID COUNT -- COMMAND [ARGS...]");
  unsigned long uid = number(argv[1]), gid = number(argv[2]), count = number(argv[3]);
  /* Host root inside the range would make the namespace pointless. */
  if (uid == 0 || gid == 0 || count == 0 || count > 65536) usage("the range must not hold host root, and 1..65536 ids");

  int unshared[2], mapped[2];
  if (pipe2(unshared, O_CLOEXEC) < 0 || pipe2(mapped, O_CLOEXEC) < 0) die("pipe", NULL);
  pid_t self = getpid();
  pid_t child = fork();
  if (child < 0) die("fork", NULL);
  if (child == 0) {
    char c;
    if (read(unshared[0], &c, 1) != 1) _exit(FAIL);
    write_map(self, "uid_map", uid, count);
    write_map(self, "gid_map", gid, count);
    if (write(mapped[1], "x", 1) != 1) _exit(FAIL);
    _exit(0);
  }
  close(unshared[0]);
  close(mapped[1]);
  if (unshare(CLONE_NEWUSER) < 0) die("cannot create a user namespace", NULL);
  if (write(unshared[1], "x", 1) != 1) die("pipe", NULL);
  char c;
  int status;
  int ok = read(mapped[0], &c, 1) == 1;
  if (waitpid(child, &status, 0) < 0) die("waitpid", NULL);
  if (!ok || !WIFEXITED(status) || WEXITSTATUS(status) != 0) usage("cannot map the user namespace's ids");
  if (setgroups(0, NULL) < 0) die("setgroups", NULL);
  if (setresgid(0, 0, 0) < 0) die("setresgid", NULL);
  if (setresuid(0, 0, 0) < 0) die("setresuid", NULL);
  execvp(argv[5], &argv[5]);
  die("cannot run", argv[5]);
  return FAIL;
}
