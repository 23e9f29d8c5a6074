from partages_bench.cli import main

main()
