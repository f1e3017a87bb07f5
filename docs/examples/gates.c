/*
 * gates.c -- libsekit from C: load a model (the installed default unless a path is given), turn
 * a 28x28 gray image into its input as sekit record would, run it, print the predicted class
 * and the mean gate of the last SE block. Build:
 *     cc gates.c $(pkg-config --cflags --libs sekit) -o gates
 */
#include <sekit.h>

#include <stdio.h>

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : sekit_default_model_path();
    struct sekit_err e = {0};
    struct sekit_model *m = NULL;
    struct sekit_input in;
    unsigned char img[28 * 28];
    float x[28 * 28], logits[64];
    /* a bright square on black: a shape, not noise */
    for (int i = 0; i < 28 * 28; i++)
        img[i] = (i / 28 > 6 && i / 28 < 22 && i % 28 > 6 && i % 28 < 22) ? 220 : 0;
    if (sekit_model_load(&m, path, &e) ||
        sekit_input_resolve(&in, m, path, SEKIT_INPUT_STORED, 28, 28, 1, &e) ||
        in.channels * in.size * in.size > 28 * 28 || sekit_model_arch(m)->num_classes > 64 ||
        sekit_input_convert(&in, img, 1, x, &e) ||
        sekit_model_prepare(m, 1, in.size, in.size, &e)) {
        fprintf(stderr, "gates: %s\n", e.code ? e.msg : "the model does not take 28x28 images");
        sekit_model_free(m);
        return 1;
    }
    sekit_model_forward(m, x, 1, logits);
    const int K = sekit_model_arch(m)->num_classes, last = sekit_model_se_count(m) - 1;
    int best = 0;
    for (int k = 1; k < K; k++)
        if (logits[k] > logits[best]) best = k;
    const struct sekit_se_info *se = sekit_model_se_info(m, last);
    const float *g = sekit_model_gate(m, last);
    double mean = 0;
    for (int c = 0; c < se->channels; c++)
        mean += g[c] / se->channels;
    printf("model %s\nclass %d (logit %.4f)\n%s mean gate %.4f\n", path, best, logits[best],
           se->name, mean);
    sekit_model_free(m);
    return 0;
}
