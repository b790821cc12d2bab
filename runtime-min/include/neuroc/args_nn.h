/* Argument layouts of the nn family (see neuroc/args.h). */
#ifndef NEUROC_ARGS_NN_H
#define NEUROC_ARGS_NN_H
#endif
