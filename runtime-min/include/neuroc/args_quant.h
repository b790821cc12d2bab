/* Argument layouts of the ONNX quantization operators (see neuroc/args.h).
 * Scales and zero points are routine inputs, never args: ONNX lets them be
 * run-time tensors. A zero point that is left out has dtype 0 and reads as 0.
 * A scale or zero point with one value applies to the whole tensor;
 * otherwise it holds one value per index of the quantization axis. */
#ifndef NEUROC_ARGS_QUANT_H
#define NEUROC_ARGS_QUANT_H

/* QuantizeLinear (inputs x, y_scale, optional y_zero_point; the output dtype
 * is the zero point's) and DequantizeLinear (inputs x, x_scale, optional
 * x_zero_point; output f32). AXIS is normalised to [0, rank). */
enum { NC_QLINEAR_IA_AXIS = 0, NC_QLINEAR_IA_COUNT = 1 };

/* DynamicQuantizeLinear: no args (outputs y u8, y_scale f32, y_zero_point u8).
 * MatMulInteger (A, B, optional a_zero_point per row of A, optional
 * b_zero_point per column of B; output s32) and QLinearMatMul (a, a_scale,
 * a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point): no args,
 * batch broadcasting read off the descs as for MatMul.
 * ConvInteger (x, w, optional x_zero_point, optional w_zero_point per output
 * channel; output s32) and QLinearConv (x, x_scale, x_zero_point, w, w_scale,
 * w_zero_point, y_scale, y_zero_point, optional s32 bias B): the Conv arg
 * layout NC_CONV_IA_* / NC_CONV_FA_* of neuroc/args_nn.h, activation none. */

#endif
