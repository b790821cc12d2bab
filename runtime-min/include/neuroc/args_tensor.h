/* Argument layouts of the tensor family (see neuroc/args.h). */
#ifndef NEUROC_ARGS_TENSOR_H
#define NEUROC_ARGS_TENSOR_H
#endif
