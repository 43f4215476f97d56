/*
 * mock-kafka: an in-process Kafka "broker" for tests, built on librdkafka's
 * mock cluster (librdkafka >= 2.0, rdkafka_mock.h). Not a real Kafka: see
 * README.md for what it does and does not support.
 *
 * Usage: mock-kafka [--brokers N] [--partitions N] [--stdin-topics]
 *                   [--no-stdin-watch] [topic[:partitions] ...]
 *   Topics also come from $MOCK_KAFKA_TOPICS ("a:3,b:1").
 *   stdout: "BOOTSTRAP=127.0.0.1:PORT[,...]" once the cluster is ready;
 *           with --stdin-topics, "CREATED name:N" or "ERROR name: reason" per
 *           line read from stdin.
 *   With --stdin-topics a line "!errors <ApiKey> <code> [<code>...]" makes the
 *   next requests of that type fail with those Kafka error codes (fault tests);
 *   answered "PUSHED <ApiKey> <count>" or "ERROR ...".
 *   "!down <broker>" drops that broker's connections and refuses new ones
 *   until "!up <broker>" (-1: every broker), as a broker restart would;
 *   answered "DOWN <broker>" / "UP <broker>" or "ERROR ...".
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static volatile sig_atomic_t stop_requested = 0;
static void on_signal(int sig) { (void)sig; stop_requested = 1; }

static int default_partitions = 1;
static int replication_factor = 1;

/* Kafka's own limit is 249 chars of [a-zA-Z0-9._-]; rejecting other names here
 * gives a clear error instead of a topic no client can use. */
static int valid_topic_name(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || n > 249 || !strcmp(s, ".") || !strcmp(s, ".."))
                return 0;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' ||
                      *s == '-'))
                        return 0;
        return 1;
}

/* Parses "name[:partitions]" and creates the topic. Returns 0 on success. */
static int create_topic(rd_kafka_mock_cluster_t *mc, char *spec, int announce) {
        char *colon = strrchr(spec, ':');
        int parts   = default_partitions;
        rd_kafka_resp_err_t err;

        if (colon) {
                char *end;
                *colon = '\0';
                parts  = (int)strtol(colon + 1, &end, 10);
                if (*end || parts < 1 || parts > 10000) {
                        fprintf(announce ? stdout : stderr,
                                "ERROR %s: bad partition count \"%s\"\n", spec,
                                colon + 1);
                        fflush(stdout);
                        return -1;
                }
        }
        if (!valid_topic_name(spec)) {
                fprintf(announce ? stdout : stderr,
                        "ERROR %s: invalid topic name\n", spec);
                fflush(stdout);
                return -1;
        }
        err = rd_kafka_mock_topic_create(mc, spec, parts, replication_factor);
        if (err) {
                fprintf(announce ? stdout : stderr, "ERROR %s: %s\n", spec,
                        rd_kafka_err2str(err));
                fflush(stdout);
                return -1;
        }
        if (announce) {
                printf("CREATED %s:%d\n", spec, parts);
                fflush(stdout);
        }
        return 0;
}

/* "!errors <ApiKey> <code> [<code>...]": the next requests of that type fail. */
static void push_errors(rd_kafka_mock_cluster_t *mc, char *args) {
        rd_kafka_resp_err_t errs[64];
        size_t cnt = 0;
        char *save = NULL, *tok, *end;
        long api;

        tok = strtok_r(args, " ", &save);
        api = tok ? strtol(tok, &end, 10) : -1;
        if (!tok || *end || api < 0 || api > 32767) {
                printf("ERROR !errors: expected an ApiKey number\n");
                fflush(stdout);
                return;
        }
        while ((tok = strtok_r(NULL, " ", &save)) && cnt < 64) {
                long code = strtol(tok, &end, 10);
                if (*end) {
                        printf("ERROR !errors: bad error code \"%s\"\n", tok);
                        fflush(stdout);
                        return;
                }
                errs[cnt++] = (rd_kafka_resp_err_t)code;
        }
        if (cnt == 0) {
                printf("ERROR !errors: give at least one error code\n");
                fflush(stdout);
                return;
        }
        rd_kafka_mock_push_request_errors_array(mc, (int16_t)api, cnt, errs);
        printf("PUSHED %ld %zu\n", api, cnt);
        fflush(stdout);
}

/* "!down <broker>" / "!up <broker>": a broker outage without a process restart. */
static void set_broker(rd_kafka_mock_cluster_t *mc, char *arg, int up) {
        char *end;
        long id = strtol(arg, &end, 10);
        rd_kafka_resp_err_t err;

        if (end == arg || *end || id < -1 || id > 1000) {
                printf("ERROR !%s: expected a broker id (-1 for all)\n",
                       up ? "up" : "down");
                fflush(stdout);
                return;
        }
        err = up ? rd_kafka_mock_broker_set_up(mc, (int32_t)id)
                 : rd_kafka_mock_broker_set_down(mc, (int32_t)id);
        if (err)
                printf("ERROR !%s %ld: %s\n", up ? "up" : "down", id,
                       rd_kafka_err2str(err));
        else
                printf("%s %ld\n", up ? "UP" : "DOWN", id);
        fflush(stdout);
}

static void usage(const char *argv0) {
        fprintf(stderr,
                "usage: %s [--brokers N] [--partitions N] [--stdin-topics]\n"
                "          [--no-stdin-watch] [topic[:partitions] ...]\n"
                "  --partitions N   partitions for topic specs without ':N'\n"
                "                   (auto-created topics always get 4: fixed\n"
                "                   in librdkafka's mock cluster)\n"
                "  --stdin-topics   treat each stdin line as a topic spec\n"
                "  --no-stdin-watch keep running when stdin closes\n"
                "  env MOCK_KAFKA_TOPICS=\"a:3,b:1\" adds topics too\n",
                argv0);
}

int main(int argc, char **argv) {
        int brokers = 1, stdin_topics = 0, stdin_watch = 1, i, rc = 0;
        char errstr[512];
        rd_kafka_conf_t *conf;
        rd_kafka_t *rk;
        rd_kafka_mock_cluster_t *mc;
        struct sigaction sa;
        const char *env;

        for (i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--brokers") && i + 1 < argc)
                        brokers = atoi(argv[++i]);
                else if (!strcmp(argv[i], "--partitions") && i + 1 < argc)
                        default_partitions = atoi(argv[++i]);
                else if (!strcmp(argv[i], "--stdin-topics"))
                        stdin_topics = 1;
                else if (!strcmp(argv[i], "--no-stdin-watch"))
                        stdin_watch = 0;
                else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
                        usage(argv[0]);
                        return 0;
                } else if (argv[i][0] == '-') {
                        usage(argv[0]);
                        return 2;
                }
        }
        if (brokers < 1 || default_partitions < 1) {
                usage(argv[0]);
                return 2;
        }
        replication_factor = brokers < 3 ? brokers : 3;

        /* The mock cluster needs an rd_kafka_t for its internal bookkeeping
         * only. With no bootstrap.servers that producer would log a warning
         * and never connect; log_level 3 keeps our stderr for real errors. */
        conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "log_level", "3", NULL, 0);
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk) {
                fprintf(stderr, "mock-kafka: rd_kafka_new: %s\n", errstr);
                return 1;
        }
        mc = rd_kafka_mock_cluster_new(rk, brokers);
        if (!mc) {
                fprintf(stderr, "mock-kafka: could not create mock cluster\n");
                rd_kafka_destroy(rk);
                return 1;
        }

        /* Topics are created before BOOTSTRAP is printed, so a caller that
         * waited for that line never races the creation. */
        if ((env = getenv("MOCK_KAFKA_TOPICS")) && *env) {
                char *copy = strdup(env), *save = NULL, *tok;
                for (tok = strtok_r(copy, ", ", &save); tok;
                     tok = strtok_r(NULL, ", ", &save))
                        if (create_topic(mc, tok, 0))
                                rc = 1;
                free(copy);
        }
        for (i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--brokers") ||
                    !strcmp(argv[i], "--partitions")) {
                        i++;
                        continue;
                }
                if (argv[i][0] == '-')
                        continue;
                if (create_topic(mc, argv[i], 0))
                        rc = 1;
        }
        if (rc) /* a typo in a topic spec should fail the test run loudly */
                goto out;

        printf("BOOTSTRAP=%s\n", rd_kafka_mock_cluster_bootstraps(mc));
        fflush(stdout);

        /* No SA_RESTART: a signal should interrupt poll() at once. */
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        signal(SIGPIPE, SIG_IGN); /* parent gone: stdout writes must not kill
                                     us before the cluster is destroyed */

        /* Stdin EOF means the parent died (even by SIGKILL), so a test run
         * never leaves orphan brokers behind. */
        {
                char line[1024];
                size_t len = 0;
                while (!stop_requested) {
                        struct pollfd pfd = {.fd = 0, .events = POLLIN};
                        ssize_t r;
                        char *nl;
                        /* A bounded wait closes the race of a signal that
                         * lands between the flag check and poll(). */
                        int n = poll(&pfd, stdin_watch ? 1 : 0, 300);
                        if (n < 0 && errno != EINTR)
                                break;
                        if (n <= 0)
                                continue;
                        r = read(0, line + len, sizeof(line) - 1 - len);
                        if (r < 0 && errno == EINTR)
                                continue;
                        if (r <= 0)
                                break;
                        len += (size_t)r;
                        line[len] = '\0';
                        while ((nl = strchr(line, '\n'))) {
                                *nl = '\0';
                                if (nl > line && nl[-1] == '\r')
                                        nl[-1] = '\0';
                                if (stdin_topics && !strncmp(line, "!errors ", 8))
                                        push_errors(mc, line + 8);
                                else if (stdin_topics && !strncmp(line, "!down ", 6))
                                        set_broker(mc, line + 6, 0);
                                else if (stdin_topics && !strncmp(line, "!up ", 4))
                                        set_broker(mc, line + 4, 1);
                                else if (stdin_topics && *line)
                                        create_topic(mc, line, 1);
                                len -= (size_t)(nl + 1 - line);
                                memmove(line, nl + 1, len + 1);
                        }
                        if (len == sizeof(line) - 1) /* overlong: drop it */
                                len = 0;
                }
        }

out:
        rd_kafka_mock_cluster_destroy(mc);
        rd_kafka_destroy(rk);
        return rc;
}
