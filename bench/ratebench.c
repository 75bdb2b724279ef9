// ratebench: a fixed-rate HTTP/1.1 load generator for latency at a given request rate (what wrk2 does; wrk2 is
// not packaged for Debian). Requests are scheduled at fixed intervals; each one's latency is measured from the
// time it was scheduled, not from when a connection became free, so a server that stalls is charged for the
// requests that had to wait (no coordinated omission).
//
//   cc -O2 -o ratebench bench/ratebench.c
//   ratebench HOST PORT RATE SECONDS CONNECTIONS REQUEST_FILE
//
// REQUEST_FILE holds one complete HTTP/1.1 request (headers and body), sent as is, again and again on keep-alive
// connections; or several, each followed by a line holding only the byte 0x1E (record separator), sent in turn
// (bench/flood.sh's random consumer keys). Prints: scheduled, completed, errors (non-2xx, socket), achieved rate,
// latency percentiles of the 2xx answers, and how many answers had each status.
// With RATEBENCH_STALLS=MS in the environment it also lists each 100 ms of the schedule whose slowest request took
// longer than MS, to line a tail up with what else happened then (a checkpoint, a new WAL segment, a vacuum).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    int fd;
    int busy;            // a request is in flight
    uint64_t scheduled;  // when the request in flight was due (ns)
    char buffer[65536];
    size_t filled;
} connection;

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int compare(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int open_connection(const char *host, int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (fd < 0 || inet_pton(AF_INET, host, &address.sin_addr) != 1) return -1;
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) { close(fd); return -1; }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

// Length of a complete response at the start of buffer, 0 if incomplete, -1 if malformed; sets status.
static long complete_response(const char *buffer, size_t filled, int *status) {
    const char *end = memmem(buffer, filled, "\r\n\r\n", 4);
    if (!end) return 0;
    if (filled < 12 || strncmp(buffer, "HTTP/1.", 7) != 0) return -1;
    *status = atoi(buffer + 9);
    long length = 0;
    for (const char *line = buffer; line < end;) {
        if (strncasecmp(line, "content-length:", 15) == 0) length = atol(line + 15);
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol) break;
        line = eol + 1;
    }
    size_t total = (size_t)(end - buffer) + 4 + (size_t)length;
    return filled >= total ? (long)total : 0;
}

int main(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: %s HOST PORT RATE SECONDS CONNECTIONS REQUEST_FILE\n", argv[0]);
        return 2;
    }
    const char *host = argv[1];
    int port = atoi(argv[2]), connections = atoi(argv[5]);
    double rate = atof(argv[3]), seconds = atof(argv[4]);
    FILE *file = fopen(argv[6], "rb");
    if (!file || rate <= 0 || seconds <= 0 || connections <= 0) { fprintf(stderr, "bad arguments\n"); return 2; }
    fseek(file, 0, SEEK_END);
    long file_size = ftell(file);
    fseek(file, 0, SEEK_SET);
    char *contents = malloc((size_t)file_size + 1);
    size_t contents_length = fread(contents, 1, (size_t)file_size, file);
    fclose(file);
    // Split at each "\x1e\n"; a file without one is a single request.
    size_t count = 0, capacity = 16;
    const char **requests = malloc(capacity * sizeof *requests);
    size_t *lengths = malloc(capacity * sizeof *lengths);
    for (size_t offset = 0; offset < contents_length;) {
        const char *separator = memmem(contents + offset, contents_length - offset, "\x1e\n", 2);
        size_t length = separator ? (size_t)(separator - (contents + offset)) : contents_length - offset;
        if (count == capacity) {
            capacity *= 2;
            requests = realloc(requests, capacity * sizeof *requests);
            lengths = realloc(lengths, capacity * sizeof *lengths);
        }
        if (length > 0) { requests[count] = contents + offset; lengths[count] = length; count++; }
        offset += length + (separator ? 2 : 0);
    }
    if (count == 0) { fprintf(stderr, "no request in %s\n", argv[6]); return 2; }
    size_t statuses[600] = {0};

    int epoll = epoll_create1(0);
    connection *pool = calloc((size_t)connections, sizeof *pool);
    for (int i = 0; i < connections; i++) {
        pool[i].fd = open_connection(host, port);
        if (pool[i].fd < 0) { perror("connect"); return 1; }
        struct epoll_event event = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(epoll, EPOLL_CTL_ADD, pool[i].fd, &event);
    }
    size_t scheduled_total = (size_t)(rate * seconds);
    uint64_t *latencies = malloc(scheduled_total * sizeof *latencies);
    uint64_t interval = (uint64_t)(1e9 / rate), start = now_ns();
    const char *stalls_env = getenv("RATEBENCH_STALLS");
    double stall_ms = stalls_env ? atof(stalls_env) : 0;
    size_t windows = (size_t)(seconds * 10) + 1;
    uint64_t *window_max = calloc(windows, sizeof *window_max);
    size_t next = 0, completed = 0, errors = 0, socket_errors = 0;
    int cursor = 0;

    while (completed + errors + socket_errors < scheduled_total) {
        uint64_t now = now_ns();
        // Send every request that is due on a free connection; a due request with none free waits, its
        // latency still counted from when it was due.
        while (next < scheduled_total && start + next * interval <= now) {
            int found = -1;
            for (int k = 0; k < connections; k++) {
                int i = (cursor + k) % connections;
                if (!pool[i].busy && pool[i].fd >= 0) { found = i; break; }
            }
            if (found < 0) break;
            cursor = (found + 1) % connections;
            connection *c = &pool[found];
            const char *request = requests[next % count];
            size_t request_length = lengths[next % count];
            if (write(c->fd, request, request_length) != (ssize_t)request_length) {
                socket_errors++; next++;
                continue;
            }
            c->busy = 1;
            c->scheduled = start + next * interval;
            next++;
        }
        if (now > start + (uint64_t)((seconds + 10) * 1e9)) break;  // stuck: give up 10 s after the end
        // Wait for answers until the next request is due, to the nanosecond: a millisecond timeout would round
        // the 200 us between requests at 5,000/s down to 0 and spin a core that the server needs.
        uint64_t due = next < scheduled_total ? start + next * interval : now + 1000000;
        uint64_t wait = due > now ? due - now : 0;
        struct timespec timeout = {.tv_sec = (time_t)(wait / 1000000000ull), .tv_nsec = (long)(wait % 1000000000ull)};
        struct epoll_event events[256];
        int ready = epoll_pwait2(epoll, events, 256, &timeout, NULL);
        for (int e = 0; e < ready; e++) {
            connection *c = &pool[events[e].data.u32];
            ssize_t got = read(c->fd, c->buffer + c->filled, sizeof c->buffer - c->filled);
            if (got <= 0) {
                if (got < 0 && errno == EAGAIN) continue;
                if (c->busy) socket_errors++;
                epoll_ctl(epoll, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd);
                c->fd = -1; c->busy = 0; c->filled = 0;
                continue;
            }
            c->filled += (size_t)got;
            int status = 0;
            long length;
            while ((length = complete_response(c->buffer, c->filled, &status)) > 0) {
                if (status > 0 && status < 600) statuses[status]++;
                if (c->busy) {
                    uint64_t latency = now_ns() - c->scheduled;
                    size_t window = (size_t)((c->scheduled - start) / 100000000ull);
                    if (window < windows && latency > window_max[window]) window_max[window] = latency;
                    if (status >= 200 && status < 300) latencies[completed++] = latency;
                    else errors++;
                    c->busy = 0;
                }
                memmove(c->buffer, c->buffer + length, c->filled - (size_t)length);
                c->filled -= (size_t)length;
            }
            if (length < 0) { socket_errors++; c->busy = 0; c->filled = 0; }
        }
    }
    double elapsed = (double)(now_ns() - start) / 1e9;
    qsort(latencies, completed, sizeof *latencies, compare);
    double p[] = {50, 90, 99, 99.9, 100};
    printf("scheduled %zu at %.0f/s for %.0f s on %d connections\n", scheduled_total, rate, seconds, connections);
    printf("completed %zu (%.1f/s), non-2xx %zu, socket errors %zu, not sent %zu\n", completed,
           (double)completed / elapsed, errors, socket_errors, scheduled_total - next);
    for (int i = 0; i < 5; i++) {
        size_t index = completed ? (size_t)((p[i] / 100.0) * (double)(completed - 1)) : 0;
        printf("p%-5g %.2f ms\n", p[i], completed ? (double)latencies[index] / 1e6 : 0.0);
    }
    for (int code = 0; code < 600; code++) {
        if (statuses[code]) printf("status %d: %zu\n", code, statuses[code]);
    }
    for (size_t w = 0; stall_ms > 0 && w < windows; w++) {
        if ((double)window_max[w] / 1e6 > stall_ms) {
            printf("stall at %.1f s: slowest %.1f ms\n", (double)w / 10, (double)window_max[w] / 1e6);
        }
    }
    return 0;
}
