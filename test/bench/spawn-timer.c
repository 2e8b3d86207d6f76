/*
 * Runs a command RUNS times and prints, for each run, the wall time in microseconds and the
 * child's maximum resident set in KiB (from wait4's rusage, which Node does not expose).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
    int runs = argc > 2 ? atoi(argv[1]) : 0;
    if (runs <= 0) {
        fprintf(stderr, "usage: spawn-timer RUNS COMMAND [ARGS...]\n");
        return 100;
    }
    for (int i = 0; i < runs; i++) {
        struct timespec a, b;
        struct rusage ru;
        int status;
        pid_t pid;
        clock_gettime(CLOCK_MONOTONIC, &a);
        pid = fork();
        if (pid == 0) {
            int devnull = open("/dev/null", O_WRONLY);
            dup2(devnull, 1);
            execv(argv[2], argv + 2);
            _exit(127);
        }
        if (pid < 0 || wait4(pid, &status, 0, &ru) < 0) {
            perror("spawn-timer");
            return 1;
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "spawn-timer: %s exited with status %d\n", argv[2], status);
            return 1;
        }
        printf("%ld %ld\n", (long)((b.tv_sec - a.tv_sec) * 1000000 + (b.tv_nsec - a.tv_nsec) / 1000), ru.ru_maxrss);
    }
    return 0;
}
