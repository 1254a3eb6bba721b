def count_up_to(maxnum):
    for one_number in range(maxnum):
        yield one_number

def fib(maxnum):
    first = 0
    second = 1
    counter = 0
    while True:
        yield first
        counter += 1
        first, second = second, first+second
        if counter >= maxnum:
            break

def squares(maxnum):
    for one_number in range(maxnum):
        yield one_number ** 2

g1 = count_up_to(10)
g2 = fib(8)
g3 = squares(11)

all_generators = [g1, g2, g3]

while all_generators:
    for one_generator in all_generators:
        try:
            value = next(one_generator)
            print(f'{one_generator.__name__}: {value}')
        except StopIteration:
            all_generators.remove(one_generator)
