/* bench/run's keras2c driver: times one keras2c-generated model, single
 * sample per call (keras2c has no batch dimension and no threads).
 *
 *   driver ONE.raw FULL.raw N REPS OUT_ONE.raw OUT_FULL.raw
 *
 * ONE.raw: one sample (float32, bench_in_size values); FULL.raw: N samples.
 * Latency: median over REPS repetitions of the mean time of many calls on
 * ONE (at least 0.1 s of calls per repetition) after a warm-up. Throughput:
 * median over min(REPS, 3) passes over the N samples (one pass when it would
 * take over 10 s), one call per sample, after the latency phase's warm-up. Writes the predictions (OUT_ONE.raw, OUT_FULL.raw) and
 * prints one JSON line. The model comes from the generated wrapper
 * (bench_initialize / bench_predict / bench_terminate, bench_in_size and
 * bench_out_size), written by keras2c_peer.py next to keras2c's C.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern const size_t bench_in_size, bench_out_size;
void bench_initialize(void);
void bench_predict(float *input, float *output);
void bench_terminate(void);

#define THROUGHPUT_BUDGET 10.0

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof(double), compare);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static float *read_raw(const char *path, size_t count) {
    float *data = malloc(count * sizeof(float) + 1);
    FILE *f = fopen(path, "rb");
    if (!data || !f || fread(data, sizeof(float), count, f) != count) {
        fprintf(stderr, "keras2c_driver: cannot read %zu floats from %s\n", count, path);
        exit(1);
    }
    fclose(f);
    return data;
}

static void write_raw(const char *path, const float *data, size_t count) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, sizeof(float), count, f) != count) {
        fprintf(stderr, "keras2c_driver: cannot write %s\n", path);
        exit(1);
    }
    fclose(f);
}

int main(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: %s ONE.raw FULL.raw N REPS OUT_ONE.raw OUT_FULL.raw\n", argv[0]);
        return 2;
    }
    size_t n = (size_t)atol(argv[3]);
    int reps = atoi(argv[4]);
    if (reps < 1 || reps > 1000) reps = 5;
    float *one = read_raw(argv[1], bench_in_size);
    float *full = n ? read_raw(argv[2], n * bench_in_size) : NULL;
    float *out_one = calloc(bench_out_size, sizeof(float));
    float *out_full = calloc(n * bench_out_size + 1, sizeof(float));
    double *times = calloc((size_t)reps, sizeof(double));
    bench_initialize();

    /* latency */
    for (int i = 0; i < 20; i++) bench_predict(one, out_one);
    long calls = 1;
    for (;;) {
        calls *= 2;
        double start = now();
        for (long i = 0; i < calls; i++) bench_predict(one, out_one);
        if (now() - start >= 0.1) break;
    }
    for (int r = 0; r < reps; r++) {
        double start = now();
        for (long i = 0; i < calls; i++) bench_predict(one, out_one);
        times[r] = (now() - start) / (double)calls * 1e9;
    }
    printf("{\"latency_ns\": %.3f, \"latency_calls_per_rep\": %ld, \"latency_reps_ns\": [", median(times, reps), calls);
    /* median() sorted times: print them sorted */
    for (int r = 0; r < reps; r++) printf("%s%.3f", r ? ", " : "", times[r]);
    printf("]");

    /* throughput: one call per sample; the latency phase was the warm-up. A
     * pass that would take over THROUGHPUT_BUDGET s (the latency times N) is
     * timed once (keras2c's per-sample cost does not depend on the pass), else
     * at most 3 passes, to keep bench/run's time in bounds. */
    if (n) {
        double pass_seconds = median(times, reps) * 1e-9 * (double)n;
        int passes = pass_seconds > THROUGHPUT_BUDGET ? 1 : (reps < 3 ? reps : 3);
        reps = passes;
        printf(", \"batch_passes\": %d", passes);
        for (int r = 0; r < reps; r++) {
            double start = now();
            for (size_t i = 0; i < n; i++) bench_predict(full + i * bench_in_size, out_full + i * bench_out_size);
            times[r] = (double)n / (now() - start);
        }
        printf(", \"batch_samples_per_s\": %.3f, \"batch_reps_samples_per_s\": [", median(times, reps));
        for (int r = 0; r < reps; r++) printf("%s%.3f", r ? ", " : "", times[r]);
        printf("]");
        write_raw(argv[6], out_full, n * bench_out_size);
    }
    printf("}\n");
    write_raw(argv[5], out_one, bench_out_size);
    bench_terminate();
    return 0;
}
