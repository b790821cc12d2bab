/* Row repetition for the x86 GEMM micro-kernels: ROWS<R>(X) expands X(0)
 * ... X(R-1), so one kernel body macro yields every row count 1..16 with
 * each accumulator a named local (kept in a vector register). */
#ifndef NC_X86_GEMM_ROWS_H
#define NC_X86_GEMM_ROWS_H

#define NC_ROWS1(X) X(0)
#define NC_ROWS2(X) NC_ROWS1(X) X(1)
#define NC_ROWS3(X) NC_ROWS2(X) X(2)
#define NC_ROWS4(X) NC_ROWS3(X) X(3)
#define NC_ROWS5(X) NC_ROWS4(X) X(4)
#define NC_ROWS6(X) NC_ROWS5(X) X(5)
#define NC_ROWS7(X) NC_ROWS6(X) X(6)
#define NC_ROWS8(X) NC_ROWS7(X) X(7)
#define NC_ROWS9(X) NC_ROWS8(X) X(8)
#define NC_ROWS10(X) NC_ROWS9(X) X(9)
#define NC_ROWS11(X) NC_ROWS10(X) X(10)
#define NC_ROWS12(X) NC_ROWS11(X) X(11)
#define NC_ROWS13(X) NC_ROWS12(X) X(12)
#define NC_ROWS14(X) NC_ROWS13(X) X(13)
#define NC_ROWS15(X) NC_ROWS14(X) X(14)
#define NC_ROWS16(X) NC_ROWS15(X) X(15)

#endif
