#!/bin/sh
# Prints the firmware's flash and RAM use (from the linked image and model.o,
# by arm-none-eabi-size) next to what neuroc predicted in plan.yaml.
# usage: size_report.sh FIRMWARE.elf MODEL.o PLAN.yaml STACK_BYTES
set -eu
elf=$1 model=$2 plan=$3 stack=$4
# Berkeley format: text (code + constants), data (initialised RAM, also in flash), bss
set -- $(arm-none-eabi-size "$elf" | awk 'NR == 2 {print $1, $2, $3}')
text=$1 data=$2 bss=$3
set -- $(arm-none-eabi-size "$model" | awk 'NR == 2 {print $1, $2, $3}')
mtext=$1 mdata=$2 mbss=$3
arena=$(sed -n 's/^arena_bytes: //p' "$plan")
weights=$(sed -n 's/^weights_bytes: //p' "$plan")
echo "firmware flash: $((text + data)) bytes (text $text + data $data)"
echo "firmware RAM:   $((data + bss + stack)) bytes (data $data + bss $bss + stack $stack)"
echo "model.o flash:  $((mtext + mdata)) bytes (code, layer arguments, packed weights)"
echo "model.o RAM:    $((mdata + mbss)) bytes (static arena and data)"
echo "neuroc predicted (plan.yaml): arena $arena bytes (RAM), packed weights $weights bytes (flash)"
