/* Argument layouts of the elementwise family (see neuroc/args.h). */
#ifndef NEUROC_ARGS_ELEMENTWISE_H
#define NEUROC_ARGS_ELEMENTWISE_H
#endif
