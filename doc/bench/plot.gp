# Throughput against message size, one line per method, from a CSV that
# `sshm-bench --csv` printed.  Called by `make bench-plot`:
#   gnuplot -e "csv='doc/bench/default.csv'; out='doc/bench/default.png'; label='...'" plot.gp
if (!exists("csv")) csv = 'doc/bench/default.csv'
if (!exists("out")) out = 'doc/bench/default.png'
if (!exists("label")) label = ''
set terminal pngcairo size 900,560 font ",10"
set output out
set datafile separator ","
set title "sshm-bench: producer writes every byte, consumer reads every byte\n".label
set logscale xy 2
set xlabel "message size"
set ylabel "GB/s (payload delivered to all consumers)"
set xtics ("4K" 4096, "64K" 65536, "1M" 1048576, "16M" 16777216, "64M" 67108864)
set grid
set key outside right
methods = "sshm sshm-write sshm-auto sshm-pool plain-sealed seqpacket stream pipe ring"
# One method's rows at a time, so that its points join into a line.
plot for [m in methods] sprintf("< awk -F, '$1 == \"%s\"' %s", m, csv) \
	using 2:7 with linespoints lw 2 title m
