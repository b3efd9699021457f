module rpull.bench/delayrelay

go 1.21
