/* Argument layouts of the reduce family (see neuroc/args.h). */
#ifndef NEUROC_ARGS_REDUCE_H
#define NEUROC_ARGS_REDUCE_H
#endif
