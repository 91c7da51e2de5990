build-stress/obj/src/core/auth.o: src/core/auth.c include/macext/core.h \
 include/macext/err.h include/macext/rd.h
include/macext/core.h:
include/macext/err.h:
include/macext/rd.h:
